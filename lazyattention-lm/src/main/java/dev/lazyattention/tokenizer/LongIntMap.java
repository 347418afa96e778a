package dev.lazyattention.tokenizer;

import java.util.Arrays;

/**
 * A growable open-addressing hash map from {@code long} keys to non-negative {@code int} values.
 *
 * <p>Token pairs are packed into one {@code long}; looking them up in a boxed {@code HashMap} would
 * allocate on every probe of the encoder's and trainer's inner loops.
 */
final class LongIntMap {

    static final int MISSING = -1;

    private long[] keys;
    private int[] values;
    private int size;
    private int mask;
    private int shift;

    LongIntMap(int expectedSize) {
        int capacity = 8;
        while (capacity < expectedSize * 2L) {
            capacity <<= 1;
        }
        allocate(capacity);
    }

    /** Packs two non-negative ids into one key. */
    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** Returns the value for {@code key}, or {@link #MISSING}. */
    int get(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            int value = values[i];
            if (value == MISSING || keys[i] == key) {
                return value;
            }
        }
    }

    /** Associates {@code value} (which must be non-negative) with {@code key}, replacing any earlier value. */
    void put(long key, int value) {
        if (value < 0) {
            throw new IllegalArgumentException("values must be non-negative: " + value);
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        for (int i = slot(key); ; i = (i + 1) & mask) {
            if (values[i] == MISSING) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
        }
    }

    private int slot(long key) {
        // Fibonacci hashing: packed ids differ mostly in a few low bits, and the top bits of the product mix them all.
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> shift);
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        values = new int[capacity];
        Arrays.fill(values, MISSING);
        mask = capacity - 1;
        shift = 64 - Integer.numberOfTrailingZeros(capacity);
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        allocate(keys.length * 2);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldValues[i] != MISSING) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }
}

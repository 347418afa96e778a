package dev.lazyattention.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Record;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Training windows with a start token: the token at position 0 of every input, then the text from the
 * window's drawn position, the labels the text's next tokens. Expected windows are cut here by hand from a
 * stream whose token at position i is i (so a token names its position), at the positions the class
 * comment promises: a pure function of the seed and the record number, the same with or without the token.
 */
class StartTokenWindowsTest {

    private static final int START = 999_999;
    private static final int LENGTH = 8;
    private static final long SEED = 42;

    private static long[] longs(Record r, boolean label) {
        return (label ? r.getLabels() : r.getData()).head().toLongArray();
    }

    @Test
    void everyWindowBeginsWithTheStartTokenAndContinuesWithTheText() {
        int[] stream = new int[500];
        Arrays.setAll(stream, i -> i);
        TokenWindows plain = TokenWindows.builder().setTokens(stream, LENGTH).optSeed(SEED).setRange(0, 20)
                .setSampling(4, false).build();
        TokenWindows withStart = TokenWindows.builder().setTokens(stream, LENGTH).optStartToken(START).optSeed(SEED)
                .setRange(0, 20).setSampling(4, false).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int n = 0; n < 20; n++) {
                // The drawn position, by the rule written out: seed ^ (n * golden ratio), uniform below N - T.
                int start = new SplittableRandom(SEED ^ (n * 0x9E3779B97F4A7C15L)).nextInt(stream.length - LENGTH);
                assertEquals(start, withStart.startOf(n));

                long[] input = new long[LENGTH];
                long[] label = new long[LENGTH];
                input[0] = START;
                for (int t = 1; t < LENGTH; t++) {
                    input[t] = start + t - 1;
                }
                for (int t = 0; t < LENGTH; t++) {
                    label[t] = start + t;
                }
                Record r = withStart.get(manager, n);
                assertArrayEquals(input, longs(r, false), "inputs of window " + n);
                assertArrayEquals(label, longs(r, true), "labels of window " + n);

                long[] plainInput = new long[LENGTH];
                long[] plainLabel = new long[LENGTH];
                for (int t = 0; t < LENGTH; t++) {
                    plainInput[t] = start + t;
                    plainLabel[t] = start + t + 1;
                }
                Record p = plain.get(manager, n);
                assertArrayEquals(plainInput, longs(p, false), "without the start token, inputs of window " + n);
                assertArrayEquals(plainLabel, longs(p, true), "without the start token, labels of window " + n);
            }
        }
    }
}

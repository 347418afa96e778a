package dev.lazyattention.tokenizer;

import java.util.Arrays;

/** A binary min-heap of {@code long} values; the encoder packs (rank, position) into one long to avoid boxing. */
final class LongHeap {

    private long[] heap;
    private int size;

    LongHeap(int initialCapacity) {
        heap = new long[Math.max(1, initialCapacity)];
    }

    boolean isEmpty() {
        return size == 0;
    }

    void add(long value) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= value) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = value;
    }

    /** Removes and returns the smallest value; the heap must not be empty. */
    long poll() {
        long smallest = heap[0];
        long last = heap[--size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= last) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = last;
        return smallest;
    }
}

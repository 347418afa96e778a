package dev.lazyattention.data;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;

import java.util.SplittableRandom;
import dev.lazyattention.util.Tensors;

/**
 * A DJL dataset of fixed-length windows at random places in a token stream: record {@code n} is the
 * window starting at a position drawn from {@code (seed, n)} alone, with its next tokens as labels.
 *
 * <p>Because a record depends only on its number, the data order is a pure function of the seed: every
 * attention variant trained with the same seed sees the same windows, and a run resumed at step {@code s}
 * starts at record {@code s * windowsPerStep}, exactly where the interrupted run would have been.
 *
 * <p>With a start token ({@link Builder#optStartToken}) every window's input begins with that token and
 * continues with the first {@code T - 1} tokens from the drawn position; the labels stay the {@code T}
 * tokens from that position, so the start token predicts the window's first token and the start
 * positions (and so the data order) are those of the windows without it.
 */
public final class TokenWindows extends RandomAccessDataset {

    private final int[] tokens;
    private final int length;
    private final long seed;
    private final long first;
    private final long count;
    private final int startToken;

    private TokenWindows(Builder b) {
        super(b);
        tokens = b.tokens;
        length = b.length;
        seed = b.seed;
        first = b.first;
        count = b.count;
        startToken = b.startToken;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Start position of record {@code n} (absolute record number, independent of {@code first}). */
    public long startOf(long n) {
        SplittableRandom random = new SplittableRandom(seed ^ (n * 0x9E3779B97F4A7C15L));
        return random.nextInt(tokens.length - length);
    }

    /** {@inheritDoc} */
    @Override
    public Record get(NDManager manager, long index) {
        int start = Math.toIntExact(startOf(first + index));
        long[] input = new long[length];
        long[] label = new long[length];
        if (startToken < 0) {
            for (int t = 0; t < length; t++) {
                input[t] = tokens[start + t];
                label[t] = tokens[start + t + 1];
            }
        } else {
            input[0] = startToken;
            for (int t = 0; t < length; t++) {
                if (t > 0) {
                    input[t] = tokens[start + t - 1];
                }
                label[t] = tokens[start + t];
            }
        }
        return new Record(
                new NDList(Tensors.of(manager, input, new Shape(length))), // [T]
                new NDList(Tensors.of(manager, label, new Shape(length)))); // [T]
    }

    /** {@inheritDoc} */
    @Override
    protected long availableSize() {
        return count;
    }

    /** {@inheritDoc} */
    @Override
    public void prepare(Progress progress) {}

    /** Builder of {@link TokenWindows}; sampling must be sequential for the order to be reproducible. */
    public static final class Builder extends BaseBuilder<Builder> {
        private int[] tokens;
        private int length;
        private long seed;
        private long first;
        private long count;
        private int startToken = -1;

        /** The token stream and the window length T (each window needs T + 1 tokens). */
        public Builder setTokens(int[] tokens, int length) {
            if (tokens.length < length + 2) {
                throw new IllegalArgumentException(
                        "the corpus has " + tokens.length + " tokens; windows of " + length
                                + " need at least " + (length + 2) + " (use a shorter context or more text)");
            }
            this.tokens = tokens;
            this.length = length;
            return this;
        }

        /** Puts {@code id} at position 0 of every window's input (a start-of-sequence token); -1: none. */
        public Builder optStartToken(int id) {
            if (id < -1) {
                throw new IllegalArgumentException("start token id must be >= 0, or -1 for none, got " + id);
            }
            this.startToken = id;
            return this;
        }

        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Records {@code first .. first + count - 1}. */
        public Builder setRange(long first, long count) {
            this.first = first;
            this.count = count;
            return this;
        }

        @Override
        protected Builder self() {
            return this;
        }

        public TokenWindows build() {
            return new TokenWindows(this);
        }
    }
}

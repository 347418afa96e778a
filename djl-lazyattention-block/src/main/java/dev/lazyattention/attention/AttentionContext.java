package dev.lazyattention.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.lazyattention.util.Tensors;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a block of queries sits: its absolute positions, how many cached keys precede it, which keys are
 * padding. It also builds (once, lazily) the tensors that depend only on these positions and the padding,
 * so that every layer of a forward pass shares one copy: RoPE tables, the causal mask, {@code 1/i}, the
 * constant parts of the distance bias.
 *
 * <p>Positions are absolute: queries cover {@code [positionOffset, positionOffset + queryLength)} and keys
 * cover {@code [positionOffset - pastLength, positionOffset + queryLength)}. The 1-based query position
 * {@code i} of the paper is {@code positionOffset + t + 1}, or with a key padding mask the number of the
 * row's real tokens up to the query (see {@link #inverseQueryPositions()}).
 *
 * <p>Not thread-safe: one context belongs to one forward pass.
 */
public final class AttentionContext {

    /** Added to scores that must get no weight; finite so that a fully masked row cannot produce NaN. */
    static final float MASKED = -1e30f;

    private final NDManager manager;
    private final long batchSize;
    private final int queryLength;
    private final int pastLength;
    private final long positionOffset;
    private final NDArray keyPaddingMask;
    private final boolean returnWeights;
    private final int queryChunk;

    private final Map<Rope, NDArray[]> ropeTables = new HashMap<>();
    private final Map<List<Integer>, NDArray[]> toeplitzPads = new HashMap<>();
    private NDArray causalMask;
    private NDArray causalKeep;
    private NDArray paddingMask;
    private NDArray paddingKeep;
    private NDArray keep;
    private NDArray inverseQueryPositions;

    private AttentionContext(Builder b) {
        this.manager = b.manager;
        this.batchSize = b.batchSize;
        this.queryLength = b.queryLength;
        this.pastLength = b.pastLength;
        this.positionOffset = b.positionOffset;
        this.keyPaddingMask = b.keyPaddingMask;
        this.returnWeights = b.returnWeights;
        this.queryChunk = b.queryChunk;
    }

    /** A context for {@code queryLength} new tokens after {@code pastLength} cached ones. */
    public static Builder builder(NDManager manager, long batchSize, int queryLength) {
        return new Builder(manager, batchSize, queryLength);
    }

    public NDManager manager() {
        return manager;
    }

    public long batchSize() {
        return batchSize;
    }

    public int queryLength() {
        return queryLength;
    }

    public int pastLength() {
        return pastLength;
    }

    public int keyLength() {
        return pastLength + queryLength;
    }

    /** Absolute position of the first query. */
    public long positionOffset() {
        return positionOffset;
    }

    /** Whether layers should return their attention weights A. */
    public boolean returnWeights() {
        return returnWeights;
    }

    /** Queries per attention block, 0 for all at once (see {@link Builder#optQueryChunk}). */
    public int queryChunk() {
        return queryChunk;
    }

    /**
     * The context of queries {@code [from, to)} of this one, attending to every key before query {@code
     * to}: the keys of the earlier queries of this pass act as cached ones. Its tensors live in {@code
     * scope}.
     */
    public AttentionContext queries(int from, int to, NDManager scope) {
        Builder b = builder(scope, batchSize, to - from)
                .optPastLength(pastLength + from)
                .optPositionOffset(positionOffset + from)
                .optReturnWeights(returnWeights);
        if (keyPaddingMask != null) {
            b.optKeyPaddingMask(keyPaddingMask.get(new NDIndex(":, :{}", pastLength + to)));
        }
        return b.build();
    }

    /** [B, Tk] boolean, true for real keys; null when there is no padding. */
    public NDArray keyPaddingMask() {
        return keyPaddingMask;
    }

    /** {cos, sin}, each [Tq, D] float32, for the query positions. */
    public NDArray[] ropeTables(Rope rope) {
        return ropeTables.computeIfAbsent(rope, r -> r.tables(manager, positionOffset, queryLength));
    }

    /** [Tq, Tk] float32: 0 where key j may be seen by query t, {@link #MASKED} for future keys. */
    public NDArray causalMask() {
        if (causalMask == null) {
            float[] mask = new float[queryLength * keyLength()];
            for (int t = 0; t < queryLength; t++) {
                for (int j = pastLength + t + 1; j < keyLength(); j++) {
                    mask[t * keyLength() + j] = MASKED;
                }
            }
            causalMask = Tensors.of(manager, mask, new Shape(queryLength, keyLength()));
        }
        return causalMask;
    }

    /** [Tq, Tk] float32: 1 where key j may be seen by query t, else 0. */
    public NDArray causalKeep() {
        if (causalKeep == null) {
            float[] keep = new float[queryLength * keyLength()];
            for (int t = 0; t < queryLength; t++) {
                for (int j = 0; j <= pastLength + t; j++) {
                    keep[t * keyLength() + j] = 1f;
                }
            }
            causalKeep = Tensors.of(manager, keep, new Shape(queryLength, keyLength()));
        }
        return causalKeep;
    }

    /** [B, 1, 1, Tk] float32: 0 for real keys, {@link #MASKED} for padding; null without padding. */
    public NDArray paddingMask() {
        if (keyPaddingMask == null) {
            return null;
        }
        if (paddingMask == null) {
            paddingMask = paddingKeep().sub(1f).mul(-MASKED); // [B, 1, 1, Tk]
        }
        return paddingMask;
    }

    /** [B, 1, 1, Tk] float32: 1 for real keys, 0 for padding; null without padding. */
    public NDArray paddingKeep() {
        if (keyPaddingMask == null) {
            return null;
        }
        if (paddingKeep == null) {
            paddingKeep = keyPaddingMask.toType(DataType.FLOAT32, false)
                    .reshape(batchSize, 1, 1, keyLength()); // [B, 1, 1, Tk]
        }
        return paddingKeep;
    }

    /** [B, 1, Tq, Tk] float32 (or [Tq, Tk] without padding): 1 where a real key may be seen, else 0. */
    public NDArray keep() {
        if (keyPaddingMask == null) {
            return causalKeep();
        }
        if (keep == null) {
            keep = causalKeep().mul(paddingKeep()); // [B, 1, Tq, Tk]
        }
        return keep;
    }

    /**
     * {@code 1 / i} in float32, with {@code i} the 1-based position of each query counting the tokens it can
     * attend to. Without padding that is the absolute position: [Tq, 1]. With padding it is counted per row
     * from the key padding mask, as the number of real keys at or before the query, plus the {@code
     * positionOffset - pastLength} earlier positions that are in no cache (taken as real): [B, 1, Tq, 1]. A
     * left-padded row thus gets the same {@code i} as the row alone, unpadded. A query with no real key
     * (a leading pad) gets {@code i = 1}; its weights are masked to 0 anyway.
     */
    public NDArray inverseQueryPositions() {
        if (inverseQueryPositions == null) {
            if (keyPaddingMask == null) {
                float[] inv = new float[queryLength];
                for (int t = 0; t < queryLength; t++) {
                    inv[t] = (float) (1.0 / (positionOffset + t + 1));
                }
                inverseQueryPositions = Tensors.of(manager, inv, new Shape(queryLength, 1));
            } else {
                // Counts are small integers: exact in float32 up to 2^24.
                NDArray realKeys = paddingKeep().reshape(batchSize, keyLength()).cumSum(1) // [B, Tk]
                        .get(new NDIndex(":, {}:", pastLength)); // [B, Tq]
                NDArray uncached = Tensors.scalar(manager, (float) (positionOffset - pastLength));
                NDArray one = Tensors.scalar(manager, 1f);
                inverseQueryPositions = one.div(realKeys.add(uncached).maximum(one))
                        .reshape(batchSize, 1, queryLength, 1); // [B, 1, Tq, 1]
            }
        }
        return inverseQueryPositions;
    }

    /**
     * The constant parts of the distance-bias vector of {@code LazyAttentionBlock.scoreBias} for {@code heads}
     * heads and {@code biasLength} learned distances: {zeros [H, far] for the distances at or beyond the bias
     * length, {@link #MASKED} [H, Tq - 1] for the future keys}, with {@code far = max(0, pastLength + Tq -
     * biasLength)}. Shared by the layers of a pass.
     */
    NDArray[] toeplitzPads(int heads, int biasLength) {
        return toeplitzPads.computeIfAbsent(List.of(heads, biasLength), key -> {
            long far = Math.max(0, (long) pastLength + queryLength - biasLength);
            return new NDArray[] {
                manager.zeros(new Shape(heads, far), DataType.FLOAT32), // [H, far]
                manager.full(new Shape(heads, queryLength - 1), MASKED, DataType.FLOAT32) // [H, Tq - 1]
            };
        });
    }

    /** Builder of {@link AttentionContext}. */
    public static final class Builder {
        private final NDManager manager;
        private final long batchSize;
        private final int queryLength;
        private int pastLength;
        private long positionOffset;
        private boolean positionOffsetSet;
        private NDArray keyPaddingMask;
        private boolean returnWeights;
        private int queryChunk;

        private Builder(NDManager manager, long batchSize, int queryLength) {
            if (batchSize < 1 || queryLength < 1) {
                throw new IllegalArgumentException(
                        "Attention needs at least one sequence of at least one token, got batch " + batchSize
                                + " and length " + queryLength);
            }
            this.manager = manager;
            this.batchSize = batchSize;
            this.queryLength = queryLength;
        }

        /** Number of cached keys and values before the new tokens (default 0). */
        public Builder optPastLength(int pastLength) {
            if (pastLength < 0) {
                throw new IllegalArgumentException("pastLength must be >= 0, got " + pastLength);
            }
            this.pastLength = pastLength;
            return this;
        }

        /** Absolute position of the first new token (default: {@code pastLength}). */
        public Builder optPositionOffset(long positionOffset) {
            if (positionOffset < 0) {
                throw new IllegalArgumentException("positionOffset must be >= 0, got " + positionOffset);
            }
            this.positionOffset = positionOffset;
            this.positionOffsetSet = true;
            return this;
        }

        /** [B, Tk] boolean (or 0/1 numbers): true for real keys, false for padding. */
        public Builder optKeyPaddingMask(NDArray keyPaddingMask) {
            this.keyPaddingMask = keyPaddingMask;
            return this;
        }

        /** Asks every layer to return its attention weights A [B, H, Tq, Tk] float32. */
        public Builder optReturnWeights(boolean returnWeights) {
            this.returnWeights = returnWeights;
            return this;
        }

        /**
         * Computes attention for at most this many queries at a time (0, the default: all at once, unless
         * outside training the scores of all queries would pass {@link LazyAttentionBlock#SCORE_BYTES}; then
         * the block picks the chunk itself). The
         * results are the same; the scores of a layer then take {@code chunk x keys} instead of {@code
         * queries x keys} memory, which lets a long document be scored in little memory. Inference only:
         * under autograd every chunk is kept for the backward pass anyway.
         */
        public Builder optQueryChunk(int queryChunk) {
            if (queryChunk < 0) {
                throw new IllegalArgumentException("queryChunk must be >= 0, got " + queryChunk);
            }
            this.queryChunk = queryChunk;
            return this;
        }

        public AttentionContext build() {
            if (!positionOffsetSet) {
                positionOffset = pastLength;
            }
            if (positionOffset < pastLength) {
                throw new IllegalArgumentException(
                        "positionOffset " + positionOffset + " is smaller than pastLength " + pastLength
                                + ": cached keys would sit before position 0");
            }
            if (keyPaddingMask != null) {
                Shape expected = new Shape(batchSize, pastLength + queryLength);
                if (!keyPaddingMask.getShape().equals(expected)) {
                    throw new IllegalArgumentException(
                            "keyPaddingMask has shape " + keyPaddingMask.getShape() + ", expected " + expected
                                    + " (batch, past + new tokens)");
                }
            }
            return new AttentionContext(this);
        }
    }
}

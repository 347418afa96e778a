package dev.lazyattention.eval;

/**
 * How sequences are scored: window length and stride for sequences longer than a window, sequences per
 * forward pass, and what to compute besides log-probabilities.
 *
 * <p>Sliding windows: a window feeds the model at most {@code windowLength} tokens and scores the token
 * after each of them, so a sequence of up to {@code windowLength + 1} tokens is scored in one window. (The
 * last token is fed to the model only when attention or collapse statistics or next-token predictions need
 * its position; it may then get a window of its own.) A longer sequence is scored in windows that start about
 * every {@code stride} tokens; each window scores only the tokens that no earlier window scored, so every
 * token is scored exactly once and, after the first window, with at least {@code windowLength - stride}
 * tokens of context. Nothing is truncated. {@code queryChunk} computes each window's attention for that
 * many queries at a time, which bounds the memory of long windows (see {@code
 * AttentionContext.Builder#optQueryChunk}). {@code collapse} also measures the representational collapse
 * of every window ({@link CollapseStats}) from the layer outputs of the scoring pass itself, at the cost of
 * copying them to the host and one small eigenproblem per window and layer.
 */
public record ScoringOptions(int windowLength, int stride, int batchSize, boolean attentionStats, int topK,
        int queryChunk, boolean collapse) {

    public ScoringOptions {
        if (windowLength < 2) {
            throw new IllegalArgumentException("windowLength must be >= 2, got " + windowLength);
        }
        if (stride < 1 || stride >= windowLength) {
            throw new IllegalArgumentException(
                    "stride must be in [1, windowLength - 1] = [1, " + (windowLength - 1) + "], got " + stride);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0, got " + topK);
        }
        if (queryChunk < 0) {
            throw new IllegalArgumentException("queryChunk must be >= 0, got " + queryChunk);
        }
    }

    /** Options without collapse statistics. */
    public ScoringOptions(int windowLength, int stride, int batchSize, boolean attentionStats, int topK,
            int queryChunk) {
        this(windowLength, stride, batchSize, attentionStats, topK, queryChunk, false);
    }

    /** Options with attention computed for all queries at once, without collapse statistics. */
    public ScoringOptions(int windowLength, int stride, int batchSize, boolean attentionStats, int topK) {
        this(windowLength, stride, batchSize, attentionStats, topK, 0);
    }

    /** Windows of the model's context length, stride half of it, {@link ScoringConfig}'s batch, no extras. */
    public static ScoringOptions defaults(int contextLength) {
        return new ScoringOptions(contextLength, Math.max(1, contextLength / 2),
                ScoringConfig.BATCH_SIZE.defaultValue(), false, 0);
    }

    public ScoringOptions withWindow(int length) {
        return new ScoringOptions(length, Math.max(1, Math.min(stride, length - 1)), batchSize, attentionStats, topK,
                queryChunk, collapse);
    }

    public ScoringOptions withStride(int s) {
        return new ScoringOptions(windowLength, s, batchSize, attentionStats, topK, queryChunk, collapse);
    }

    public ScoringOptions withBatchSize(int b) {
        return new ScoringOptions(windowLength, stride, b, attentionStats, topK, queryChunk, collapse);
    }

    public ScoringOptions withAttentionStats(boolean on) {
        return new ScoringOptions(windowLength, stride, batchSize, on, topK, queryChunk, collapse);
    }

    public ScoringOptions withTopK(int k) {
        return new ScoringOptions(windowLength, stride, batchSize, attentionStats, k, queryChunk, collapse);
    }

    /** Also the representational collapse of every window per layer ({@link CollapseStats}). */
    public ScoringOptions withCollapse(boolean on) {
        return new ScoringOptions(windowLength, stride, batchSize, attentionStats, topK, queryChunk, on);
    }

    /** Attention for at most this many queries at a time (0: all at once); same results, less memory. */
    public ScoringOptions withQueryChunk(int chunk) {
        return new ScoringOptions(windowLength, stride, batchSize, attentionStats, topK, chunk, collapse);
    }
}

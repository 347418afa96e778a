package dev.lazyattention.generate;

/**
 * One thread's share of a decoding step and the weights it streams: a range of query heads (with the key/value
 * heads they read), a range of MLP features and a range of the vocabulary. A thread computes the query, key,
 * value (and gate) columns of its own heads and attends with them, sums its own heads' rows of the output
 * projection, computes the gate and up columns of its own features and sums their rows of the down projection,
 * and the logits of its own vocabulary; only the two sums of rows need the other threads' results (two exchanges
 * per layer). Columns a thread computes are copied into matrices of their own so that each thread streams one
 * contiguous block; the rows it sums are a contiguous range of the shared matrices already.
 *
 * <p>With one part, the part is the whole model and its matrices are the shared ones (no copy).
 */
final class DecoderPart {

    final int headFrom;
    final int headTo;
    final int kvFrom;
    final int kvTo;
    final int innerFrom;
    final int innerTo;
    final int vocabFrom;
    final int vocabTo;
    /** Columns of {@link #qkv}: own queries, own keys, own values, then own gates (gated attention). */
    final int qkvWidth;
    /** Per layer [C][qkvWidth]. */
    final float[][][] qkv;
    /** Per layer [C][2 f]: the gate then the up columns of this part's f features. */
    final float[][][] gateUp;
    /** [C][vocabTo - vocabFrom]. */
    final float[][] head;

    private DecoderPart(DecoderWeights w, int headFrom, int headTo, int innerFrom, int innerTo, int vocabFrom,
            int vocabTo) {
        int group = w.heads / w.kvHeads;
        int d = w.headDim;
        this.headFrom = headFrom;
        this.headTo = headTo;
        this.kvFrom = headFrom / group;
        this.kvTo = headTo == headFrom ? kvFrom : (headTo + group - 1) / group; // every kv head its queries read
        this.innerFrom = innerFrom;
        this.innerTo = innerTo;
        this.vocabFrom = vocabFrom;
        this.vocabTo = vocabTo;
        int heads = headTo - headFrom;
        int kv = kvTo - kvFrom;
        qkvWidth = (heads + 2 * kv) * d + (w.gated ? heads : 0);
        int layers = w.qkv.length;
        boolean whole = heads == w.heads && innerTo - innerFrom == w.inner && vocabTo - vocabFrom == w.vocab;
        qkv = new float[layers][][];
        gateUp = new float[layers][][];
        for (int l = 0; l < layers; l++) {
            if (whole) {
                qkv[l] = w.qkv[l];
                gateUp[l] = w.gateUp[l];
                continue;
            }
            Columns q = new Columns(w.qkv[l], qkvWidth)
                    .take(headFrom * d, heads * d) // queries
                    .take((w.heads + kvFrom) * d, kv * d) // keys
                    .take((w.heads + w.kvHeads + kvFrom) * d, kv * d); // values
            if (w.gated) {
                q.take((w.heads + 2 * w.kvHeads) * d + headFrom, heads);
            }
            qkv[l] = q.result;
            int f = innerTo - innerFrom;
            gateUp[l] = new Columns(w.gateUp[l], 2 * f)
                    .take(innerFrom, f)
                    .take(w.inner + innerFrom, f).result;
        }
        head = whole ? w.head : new Columns(w.head, vocabTo - vocabFrom)
                .take(vocabFrom, vocabTo - vocabFrom).result;
    }

    /**
     * The model split in {@code count} parts, 1 to {@link DecoderWeights#heads}, each a contiguous range of the
     * query heads, of the MLP features and of the vocabulary, balanced (sizes differ by at most one unit). With at
     * least as many key/value heads as parts, the parts split the key/value heads (each with its group of query
     * heads), so no key or value is computed twice; with fewer, they split the query heads, and every part whose
     * queries read a key/value head computes that head's key and value (the same numbers). The MLP features go
     * with the heads: part p takes the feature blocks ({@link #featureBlockStart}) of its heads.
     */
    static DecoderPart[] split(DecoderWeights w, int count) {
        if (count < 1 || count > w.heads) {
            throw new IllegalArgumentException("a decoder of this model runs on 1 to " + w.heads
                    + " threads (at most one per query head), not " + count);
        }
        DecoderPart[] parts = new DecoderPart[count];
        for (int p = 0; p < count; p++) {
            int headFrom = headBoundary(w, p, count);
            int headTo = headBoundary(w, p + 1, count);
            parts[p] = new DecoderPart(w, headFrom, headTo, featureBlockStart(w, headFrom),
                    featureBlockStart(w, headTo), balanced(w.vocab, p, count), balanced(w.vocab, p + 1, count));
        }
        return parts;
    }

    /**
     * The first MLP feature of block {@code block} (0 to {@link DecoderWeights#heads}; the last is the end): the
     * features are cut into one balanced block per query head, the unit of the down projection's partial sums,
     * which every split shares so that the sums do not depend on the number of parts.
     */
    static int featureBlockStart(DecoderWeights w, int block) {
        return balanced(w.inner, block, w.heads);
    }

    /** The first query head of part {@code p} of {@code count} (p = count gives the end). */
    private static int headBoundary(DecoderWeights w, int p, int count) {
        int group = w.heads / w.kvHeads;
        return w.kvHeads >= count ? balanced(w.kvHeads, p, count) * group : balanced(w.heads, p, count);
    }

    /** The start of range {@code p} of {@code count} balanced contiguous ranges of {@code size}. */
    private static int balanced(int size, int p, int count) {
        return (int) ((long) size * p / count);
    }

    /** Copies column ranges of a matrix (an array per row), side by side, into a new one. */
    private static final class Columns {
        private final float[][] source;
        private final float[][] result;
        private int filled;

        Columns(float[][] source, int width) {
            this.source = source;
            this.result = new float[source.length][width];
        }

        Columns take(int from, int count) {
            for (int r = 0; r < source.length; r++) {
                System.arraycopy(source[r], from, result[r], filled, count);
            }
            filled += count;
            return this;
        }
    }
}

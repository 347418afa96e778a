package dev.lazyattention.generate;

/**
 * Decodes one token at a time on plain Java float arrays, the same maths as the engine's forward pass with a
 * KV cache (docs/design.md §3): RMSNorm, RoPE, the distance bias {@code b[h, i-j]} for {@code i-j < Lb},
 * softmax or Elastic-Softmax {@code ReLU(P + tau_h / i)}, SwiGLU, the LM head. The engine spends far more
 * time dispatching its small calls (488 per token for the {@code small} preset) than computing; here a step is a few loops over arrays
 * that were allocated once: the cache holds {@code capacity} positions and nothing is allocated per step.
 *
 * <p>Sparse attention: Elastic-Softmax gives exact zeros, and a value row whose weight is 0 adds nothing,
 * so with {@code sparse} on the weighted sum of values visits only the rows with a non-zero weight. The
 * result is the same (adding {@code 0 * v} changes no sum); the scores must still be computed for every key.
 *
 * <p>Positions are indexes into the cache: the first token fed is position 0 ({@code i = 1}). One decoder
 * serves one sequence at a time and is not thread-safe; {@link DecoderWeights} is shared. With 2 threads
 * the matrix-vector products are split by rows of the weights with one worker thread ({@link RowSplit}),
 * which serves the thread that made the decoder; close the decoder to stop it.
 */
public final class ArrayDecoder implements AutoCloseable {

    private final DecoderWeights w;
    private final int capacity;
    private final boolean sparse;
    private final int threads;
    private final RowSplit split; // null with one thread
    private final double[] inverseFrequencies;

    /** Per layer, keys by dimension: [G][D][capacity] (rotated, unscaled), so scores are sums of rows. */
    private final float[][] keys;
    /** Per layer, values by position: [G][capacity][D]. */
    private final float[][] values;
    private int length;

    // Scratch buffers, one set per decoder.
    private final float[] x;
    private final float[] normed;
    private final float[] qkv;
    private final float[] attended;
    private final float[] projected;
    private final float[] gateUp;
    private final float[] activated;
    private final float[] scores;
    private final float[] attentionWeights;
    private final int[] rows;
    private final float[] cos;
    private final float[] sin;

    private long valueRowsUsed;
    private long valueRowsTotal;

    /**
     * @param weights the model's weights
     * @param capacity the most positions the cache holds
     * @param sparse whether the weighted sum of values skips rows whose weight is exactly 0
     */
    public ArrayDecoder(DecoderWeights weights, int capacity, boolean sparse) {
        this(weights, capacity, sparse, 1);
    }

    /**
     * @param threads 1, or 2 to split the matrix-vector products with a worker thread
     */
    public ArrayDecoder(DecoderWeights weights, int capacity, boolean sparse, int threads) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        if (threads != 1 && threads != 2) {
            throw new IllegalArgumentException("threads must be 1 or 2, got " + threads);
        }
        this.threads = threads;
        this.w = weights;
        this.capacity = capacity;
        this.sparse = sparse;
        int d = w.headDim;
        int layers = w.qkv.length;
        keys = new float[layers][w.kvHeads * d * capacity];
        values = new float[layers][w.kvHeads * capacity * d];
        x = new float[w.hidden];
        normed = new float[w.hidden];
        qkv = new float[(w.heads + 2 * w.kvHeads) * d + (w.gated ? w.heads : 0)];
        attended = new float[w.heads * d];
        projected = new float[w.hidden];
        gateUp = new float[2 * w.inner];
        activated = new float[w.inner];
        scores = new float[capacity];
        attentionWeights = new float[capacity];
        rows = new int[capacity];
        cos = new float[d];
        sin = new float[d];
        split = threads == 2 ? new RowSplit() : null;
        inverseFrequencies = new double[d / 2];
        for (int k = 0; k < d / 2; k++) {
            inverseFrequencies[k] = Math.pow(w.config.ropeBase(), -2.0 * k / d);
        }
    }

    /** A decoder with the same weights, capacity and cached positions as this one, dense or sparse. */
    public ArrayDecoder copy(boolean sparseValues, int threadCount) {
        ArrayDecoder c = new ArrayDecoder(w, capacity, sparseValues, threadCount);
        for (int l = 0; l < keys.length; l++) {
            System.arraycopy(keys[l], 0, c.keys[l], 0, keys[l].length);
            System.arraycopy(values[l], 0, c.values[l], 0, values[l].length);
        }
        c.length = length;
        return c;
    }

    public boolean isSparse() {
        return sparse;
    }

    /** Positions in the cache. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Empties the cache: the next token is position 0. */
    public void reset() {
        length = 0;
    }

    /**
     * Fills the cache with keys and values the engine computed, for positions 0 to {@code positions - 1}.
     *
     * @param layerKeys per layer [G, T, D] rotated keys (batch row 0 of the engine's [1, G, T, D])
     * @param layerValues per layer [G, T, D] values
     */
    public void load(float[][] layerKeys, float[][] layerValues, int positions) {
        if (positions > capacity) {
            throw new IllegalArgumentException(positions + " positions exceed the capacity of " + capacity);
        }
        int d = w.headDim;
        for (int l = 0; l < keys.length; l++) {
            for (int g = 0; g < w.kvHeads; g++) {
                for (int t = 0; t < positions; t++) {
                    int from = (g * positions + t) * d;
                    System.arraycopy(layerValues[l], from, values[l], (g * capacity + t) * d, d);
                    for (int j = 0; j < d; j++) {
                        keys[l][(g * d + j) * capacity + t] = layerKeys[l][from + j];
                    }
                }
            }
        }
        length = positions;
    }

    /**
     * Feeds one token at the next position.
     *
     * @param logits receives the next-token logits [V]; null to skip the LM head (a prompt token whose
     *     prediction is not needed)
     */
    public void step(int token, float[] logits) {
        step(token, logits, null);
    }

    /**
     * Feeds one token at the next position.
     *
     * @param logits receives the next-token logits [V]; null to skip the LM head
     * @param hidden receives the final normalised hidden state [C] (the engine's {@code LmOutput.hidden()} of
     *     this position); null to skip
     */
    public void step(int token, float[] logits, float[] hidden) {
        if (length >= capacity) {
            throw new IllegalStateException("the cache is full (" + capacity + " positions)");
        }
        if (token < 0 || token >= w.vocab) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary of " + w.vocab);
        }
        int c = w.hidden;
        System.arraycopy(w.embedding, token * c, x, 0, c); // [C]
        rotaryTables(length);
        for (int l = 0; l < keys.length; l++) {
            rmsNorm(x, w.attentionNorm[l], normed);
            product(normed, w.qkv[l], qkv); // [(H + 2G) D]
            attention(l);
            product(attended, w.output[l], projected); // [C]
            add(x, projected);
            rmsNorm(x, w.mlpNorm[l], normed);
            product(normed, w.gateUp[l], gateUp); // [2F]
            int f = w.inner;
            for (int i = 0; i < f; i++) {
                float g = gateUp[i];
                activated[i] = g * (float) (1.0 / (1.0 + Math.exp(-g))) * gateUp[f + i]; // silu(gate) * up
            }
            product(activated, w.down[l], projected); // [C]
            add(x, projected);
        }
        length++;
        if (logits != null || hidden != null) {
            rmsNorm(x, w.finalNorm, normed); // [C]
            if (hidden != null) {
                System.arraycopy(normed, 0, hidden, 0, w.hidden);
            }
        }
        if (logits != null) {
            product(normed, w.head, logits); // [V]
        }
    }

    /**
     * Attention of the newest token (position {@code length}) in layer {@code l}: rotates and stores its key
     * and value, then writes each head's weighted values into {@link #attended}.
     */
    private void attention(int l) {
        int d = w.headDim;
        int h = w.heads;
        int g = w.kvHeads;
        int group = h / g;
        int t = length; // the new token's position; keys 0..t
        int n = t + 1;
        float scale = (float) (1.0 / Math.sqrt(d));
        for (int head = 0; head < h; head++) {
            rotate(qkv, head * d);
            for (int j = 0; j < d; j++) {
                qkv[head * d + j] *= scale;
            }
        }
        float[] k = keys[l];
        float[] v = values[l];
        for (int kv = 0; kv < g; kv++) {
            int keyAt = (h + kv) * d;
            rotate(qkv, keyAt);
            for (int j = 0; j < d; j++) {
                k[(kv * d + j) * capacity + t] = qkv[keyAt + j];
            }
            System.arraycopy(qkv, (h + g + kv) * d, v, (kv * capacity + t) * d, d);
        }
        float inverse = (float) (1.0 / n); // 1 / i with i the 1-based position
        for (int head = 0; head < h; head++) {
            int kv = head / group;
            // scores[j] = q . k_j as a sum of key rows (one per dimension), which vectorises over j.
            java.util.Arrays.fill(scores, 0, n, 0f);
            for (int j = 0; j < d; j++) {
                float q = qkv[head * d + j];
                int row = (kv * d + j) * capacity;
                for (int p = 0; p < n; p++) {
                    scores[p] += q * k[row + p];
                }
            }
            if (w.distanceBias) {
                float[] b = w.bias[l];
                int near = Math.min(n, w.biasLength); // distances 0 .. near-1, i.e. keys t .. t-near+1
                for (int dist = 0; dist < near; dist++) {
                    scores[t - dist] += b[head * w.biasLength + dist];
                }
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int p = 0; p < n; p++) {
                max = Math.max(max, scores[p]);
            }
            if (w.offByOne) {
                max = Math.max(max, 0f); // the implicit key of score 0 takes part in the maximum
            }
            float sum = 0;
            for (int p = 0; p < n; p++) {
                float e = (float) Math.exp(scores[p] - max);
                scores[p] = e;
                sum += e;
            }
            if (w.offByOne) {
                sum += (float) Math.exp(-max); // the 1 of the denominator, scaled like the other terms
            }
            float threshold = w.elastic ? w.tau[l][head] * inverse : 0f;
            int kept = sparse ? keepNonZero(n, sum, threshold) : keepAll(n, sum, threshold);
            weightedValues(v, kv, kept, head * d);
            if (w.gated) {
                float gate = (float) (1.0 / (1.0 + Math.exp(-qkv[(h + 2 * g) * d + head]))); // sigmoid(x Wg)_head
                for (int j = 0; j < d; j++) {
                    attended[head * d + j] *= gate;
                }
            }
            valueRowsTotal += n;
        }
    }

    /** Weights {@code ReLU(e / sum + threshold)} of all n keys into {@link #attentionWeights}, in key order. */
    private int keepAll(int n, float sum, float threshold) {
        for (int p = 0; p < n; p++) {
            float a = scores[p] / sum + threshold;
            attentionWeights[p] = a > 0f ? a : 0f;
            rows[p] = p;
        }
        return n;
    }

    /**
     * The non-zero weights only, packed with their key positions into {@link #attentionWeights} and {@link #rows}
     * (written unconditionally and kept by advancing the count, so the loop has no branch to mispredict).
     */
    private int keepNonZero(int n, float sum, float threshold) {
        int kept = 0;
        for (int p = 0; p < n; p++) {
            float a = scores[p] / sum + threshold;
            attentionWeights[kept] = a;
            rows[kept] = p;
            kept += a > 0f ? 1 : 0;
        }
        return kept;
    }

    /** attended[out .. out + D] = sum over the first {@code kept} entries of attentionWeights[e] * v[kv][rows[e]]. */
    private void weightedValues(float[] v, int kv, int kept, int out) {
        int d = w.headDim;
        java.util.Arrays.fill(attended, out, out + d, 0f);
        int base = kv * capacity * d;
        for (int e = 0; e < kept; e++) {
            float a = attentionWeights[e];
            int row = base + rows[e] * d;
            for (int j = 0; j < d; j++) {
                attended[out + j] += a * v[row + j];
            }
        }
        valueRowsUsed += kept;
    }

    /** cos and sin of the angles {@code position * base^(-2k/D)}, in the rotate-half layout of the engine. */
    private void rotaryTables(int position) {
        int half = w.headDim / 2;
        for (int k = 0; k < half; k++) {
            double angle = position * inverseFrequencies[k];
            float c = (float) Math.cos(angle);
            float s = (float) Math.sin(angle);
            cos[k] = c;
            cos[k + half] = c;
            sin[k] = s;
            sin[k + half] = s;
        }
    }

    /** RoPE on the head at {@code at}: {@code x * cos + rotate_half(x) * sin}. */
    private void rotate(float[] a, int at) {
        int half = w.headDim / 2;
        for (int k = 0; k < half; k++) {
            float x1 = a[at + k];
            float x2 = a[at + half + k];
            a[at + k] = x1 * cos[k] + (-x2) * sin[k];
            a[at + half + k] = x2 * cos[k + half] + x1 * sin[k + half];
        }
    }

    /** {@code y = x / sqrt(mean(x^2) + eps) * gain}. */
    private void rmsNorm(float[] in, float[] gain, float[] out) {
        float squares = 0;
        for (float value : in) {
            squares += value * value;
        }
        float rms = (float) Math.sqrt(squares / in.length + w.epsilon);
        for (int i = 0; i < in.length; i++) {
            out[i] = in[i] / rms * gain[i];
        }
    }

    /** {@code y = x W} on this decoder's threads. */
    private void product(float[] in, float[] weight, float[] out) {
        if (split != null) {
            split.matVec(in, weight, out);
        } else {
            rows(in, weight, out, 0, in.length, out.length);
        }
    }

    /**
     * {@code y[0..width) = x[from..to) W[from..to)} with W [in][width] row-major: rows of W added in turn, scaled
     * by x (axpy form, which HotSpot vectorises). All rows give {@code y = x W}; {@link RowSplit} gives each
     * thread half of them.
     */
    static void rows(float[] x, float[] weight, float[] y, int from, int to, int width) {
        java.util.Arrays.fill(y, 0, width, 0f);
        for (int i = from; i < to; i++) {
            float xi = x[i];
            int row = i * width;
            for (int o = 0; o < width; o++) {
                y[o] += xi * weight[row + o];
            }
        }
    }

    /** Stops the worker thread, if any. */
    @Override
    public void close() {
        if (split != null) {
            split.close();
        }
    }

    private static void add(float[] into, float[] other) {
        for (int i = 0; i < into.length; i++) {
            into[i] += other[i];
        }
    }

    /** Share of value rows the weighted sums skipped since the decoder was made (0 when dense). */
    public double skippedValueRowShare() {
        return valueRowsTotal == 0 ? 0 : 1.0 - (double) valueRowsUsed / valueRowsTotal;
    }

    /** Value rows (one per head, layer and key) the weighted sums visited since the decoder was made. */
    public long valueRowsVisited() {
        return valueRowsUsed;
    }

    /**
     * The cached key (rotated) and value of one position in one layer, each {@code [G D]} (kv head major),
     * the layout of a row of the engine's {@code [1, G, T, D]} cache, so that a caller can hand the cache back
     * as the engine would.
     */
    public void keyValueAt(int layer, int position, float[] key, float[] value) {
        if (position < 0 || position >= capacity) {
            throw new IllegalArgumentException("position " + position + " is outside the capacity of " + capacity);
        }
        int d = w.headDim;
        for (int g = 0; g < w.kvHeads; g++) {
            for (int j = 0; j < d; j++) {
                key[g * d + j] = keys[layer][(g * d + j) * capacity + position];
            }
            System.arraycopy(values[layer], (g * capacity + position) * d, value, g * d, d);
        }
    }
}

package dev.lazyattention.generate;

/**
 * Decodes one token at a time on plain Java float arrays, the same maths as the engine's forward pass with a
 * KV cache (docs/design.md §3): RMSNorm, RoPE, the distance bias {@code b[h, i-j]} for {@code i-j < Lb},
 * softmax (with {@code exp(s_h)} in its denominator for a sink) or Elastic-Softmax {@code ReLU(P + tau_h / i)},
 * SwiGLU, the LM head. The engine spends far more
 * time dispatching its small calls (about 500 per token for the {@code small} preset) than computing; here a
 * step is a few loops over arrays that were allocated once: the cache holds {@code capacity} positions and
 * nothing is allocated per step. At batch 1 every weight is read once per token, so a step's speed is the rate
 * at which the weights stream from memory ({@link MatVec}).
 *
 * <p>Threads: with N threads, the caller and N - 1 worker threads each run one {@link DecoderPart} of every step
 * (a contiguous range of the heads, of the MLP features and of the vocabulary) and meet at a {@link SpinBarrier}
 * twice per layer. The output and down projections are sums of rows; they are summed in fixed blocks, one per
 * query head (the head's rows of the output projection, its feature block of the down projection, see {@link
 * DecoderPart#featureBlockStart}), and after each meeting every thread adds all the blocks' sums, in head order,
 * to its own copy of the hidden state. Every other product computes each output from all its inputs. So no sum
 * depends on how the work is split: every thread count gives the same numbers, bit for bit, and the copies of
 * the hidden state stay identical. At most one thread per query head is used ({@link #threads()}).
 *
 * <p>Sparse attention: Elastic-Softmax gives exact zeros, and a value row whose weight is 0 adds nothing,
 * so with {@code sparse} on the weighted sum of values visits only the rows with a non-zero weight. The
 * result is the same (adding {@code 0 * v} changes no sum); the scores must still be computed for every key.
 *
 * <p>Positions are indexes into the cache: the first token fed is position 0 ({@code i = 1}). One decoder
 * serves one sequence, one caller at a time; {@link DecoderWeights} is shared. Close the decoder to stop its
 * worker threads.
 */
public final class ArrayDecoder implements AutoCloseable {

    private final DecoderWeights w;
    private final int capacity;
    private final boolean sparse;
    private final PartStep[] steps; // [0] runs on the caller, [p > 0] on worker thread p
    private final SpinBarrier barrier; // null with one thread
    private final double[] inverseFrequencies;

    /**
     * Per layer, keys by dimension: [G D][capacity] (rotated, unscaled), an array per kv head and dimension, so
     * scores are sums of rows indexed like the scores themselves (which HotSpot vectorises, see {@link MatVec}).
     */
    final float[][][] keys;
    /** Per layer, values by position: [G capacity][D], an array per kv head and position. */
    final float[][][] values;
    private int length;

    /** [H D]: each part writes and reads only its own heads' range. */
    private final float[] attended;
    /** [F]: each part writes and reads only its own features' range. */
    private final float[] activated;
    /**
     * [2][H][C]: per query head, the sum of its rows of the output projection (0) and of its feature block's rows
     * of the down projection (1); each part writes its own heads' rows, every part reads all after a meeting.
     */
    private final float[][][] blockSums;

    // The current step, written by the caller before the barrier's start arrival publishes it to the workers.
    private int stepToken;
    private float[] stepLogits;
    private volatile Throwable workerFailure;
    private boolean closed;

    /**
     * @param weights the model's weights
     * @param capacity the most positions the cache holds
     * @param sparse whether the weighted sum of values skips rows whose weight is exactly 0
     */
    public ArrayDecoder(DecoderWeights weights, int capacity, boolean sparse) {
        this(weights, capacity, sparse, 1);
    }

    /**
     * @param threads threads that run every step, at least 1: the caller and {@code threads - 1} worker threads.
     *     More than the model's query heads are not useful (a head is the smallest share), so at most that many
     *     are used ({@link #threads()}). Give no more than the idle cores: a waiting thread spins on its core.
     */
    public ArrayDecoder(DecoderWeights weights, int capacity, boolean sparse, int threads) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.w = weights;
        this.capacity = capacity;
        this.sparse = sparse;
        int d = w.headDim;
        int layers = w.qkv.length;
        keys = new float[layers][w.kvHeads * d][capacity];
        values = new float[layers][w.kvHeads * capacity][d];
        attended = new float[w.heads * d];
        activated = new float[w.inner];
        blockSums = new float[2][w.heads][w.hidden];
        inverseFrequencies = new double[d / 2];
        for (int k = 0; k < d / 2; k++) {
            inverseFrequencies[k] = Math.pow(w.config.ropeBase(), -2.0 * k / d);
        }
        int used = Math.min(threads, w.heads);
        DecoderPart[] parts = w.parts(used);
        steps = new PartStep[used];
        for (int p = 0; p < used; p++) {
            steps[p] = new PartStep(p, parts[p]);
        }
        barrier = used > 1 ? new SpinBarrier(used) : null;
        for (int p = 1; p < used; p++) {
            int part = p;
            Thread worker = new Thread(() -> work(part), "array-decoder-worker-" + p);
            worker.setDaemon(true);
            worker.start();
        }
    }

    public boolean isSparse() {
        return sparse;
    }

    /** Threads that run each step: the caller and the worker threads; the count asked for, at most the query heads. */
    public int threads() {
        return steps.length;
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
                    System.arraycopy(layerValues[l], from, values[l][g * capacity + t], 0, d);
                    for (int j = 0; j < d; j++) {
                        keys[l][g * d + j][t] = layerKeys[l][from + j];
                    }
                }
            }
        }
        length = positions;
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
                key[g * d + j] = keys[layer][g * d + j][position];
            }
            System.arraycopy(values[layer][g * capacity + position], 0, value, g * d, d);
        }
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
        if (closed) {
            throw new IllegalStateException("the decoder is closed");
        }
        if (length >= capacity) {
            throw new IllegalStateException("the cache is full (" + capacity + " positions)");
        }
        if (token < 0 || token >= w.vocab) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary of " + w.vocab);
        }
        if (logits != null && logits.length < w.vocab) {
            throw new IllegalArgumentException("logits hold " + logits.length + " values, the vocabulary " + w.vocab);
        }
        stepToken = token;
        stepLogits = logits;
        try {
            exchange(0); // the start: publishes the step to the workers
            steps[0].run(token, logits, hidden);
        } catch (SpinBarrier.Closed e) {
            Throwable failure = workerFailure;
            throw new IllegalStateException(failure != null
                    ? "a worker thread of the decoder failed: " + failure : "the decoder is closed", failure);
        }
        length++;
    }

    /** A worker thread: part {@code part} of every step, until the decoder closes. */
    private void work(int part) {
        try {
            while (true) {
                barrier.arrive(part); // the step's start
                steps[part].run(stepToken, stepLogits, null);
            }
        } catch (SpinBarrier.Closed e) {
            // closed: the worker ends
        } catch (Throwable t) {
            workerFailure = t;
            barrier.close();
        }
    }

    /** Every part meets here (a no-op with one thread). */
    private void exchange(int part) {
        if (barrier != null) {
            barrier.arrive(part);
        }
    }

    /** Stops the worker threads, if any; the decoder takes no more steps. */
    @Override
    public void close() {
        closed = true;
        if (barrier != null) {
            barrier.close();
        }
    }

    /** Share of value rows the weighted sums skipped since the decoder was made (0 when dense). */
    public double skippedValueRowShare() {
        long total = 0;
        for (PartStep s : steps) {
            total += s.valueRowsTotal;
        }
        return total == 0 ? 0 : 1.0 - (double) valueRowsVisited() / total;
    }

    /** Value rows (one per head, layer and key) the weighted sums visited since the decoder was made. */
    public long valueRowsVisited() {
        long used = 0;
        for (PartStep s : steps) {
            used += s.valueRowsUsed;
        }
        return used;
    }

    /** One thread's work in a step: its {@link DecoderPart}, with scratch buffers of its own. */
    private final class PartStep {

        private final int index;
        private final DecoderPart part;
        private final float[] x; // [C], this thread's copy of the hidden state
        private final float[] normed; // [C]
        private final float[] qkv; // [qkvWidth]
        private final float[] gateUp; // [2 f]
        private final float[] total; // [C], the sum of the block sums being added
        private final float[] vocabOut; // [vocabTo - vocabFrom]
        private final float[] headOut; // [D], one head's weighted values
        private final float[] scores; // [capacity]
        private final float[] attentionWeights; // [capacity]
        private final int[] rows; // [capacity]
        private final float[] cos;
        private final float[] sin;
        private long valueRowsUsed;
        private long valueRowsTotal;

        PartStep(int index, DecoderPart part) {
            this.index = index;
            this.part = part;
            x = new float[w.hidden];
            normed = new float[w.hidden];
            qkv = new float[part.qkvWidth];
            gateUp = new float[2 * (part.innerTo - part.innerFrom)];
            total = new float[w.hidden];
            vocabOut = new float[part.vocabTo - part.vocabFrom];
            headOut = new float[w.headDim];
            scores = new float[capacity];
            attentionWeights = new float[capacity];
            rows = new int[capacity];
            cos = new float[w.headDim];
            sin = new float[w.headDim];
        }

        void run(int token, float[] logits, float[] hidden) {
            int c = w.hidden;
            int d = w.headDim;
            System.arraycopy(w.embedding, token * c, x, 0, c); // [C]
            rotaryTables(length);
            for (int l = 0; l < keys.length; l++) {
                rmsNorm(x, w.attentionNorm[l], normed); // [C]
                MatVec.product(normed, part.qkv[l], 0, c, part.qkvWidth, qkv); // [own (H + 2G) D]
                attention(l);
                for (int h = part.headFrom; h < part.headTo; h++) {
                    MatVec.product(attended, w.output[l], h * d, (h + 1) * d, c, blockSums[0][h]); // [C]
                }
                exchange(index);
                addBlockSums(blockSums[0]); // x += attention output
                rmsNorm(x, w.mlpNorm[l], normed); // [C]
                int f = part.innerTo - part.innerFrom;
                MatVec.product(normed, part.gateUp[l], 0, c, 2 * f, gateUp); // [2 f]
                for (int i = 0; i < f; i++) {
                    float g = gateUp[i];
                    activated[part.innerFrom + i] = g * (float) (1.0 / (1.0 + Math.exp(-g))) * gateUp[f + i];
                }
                for (int h = part.headFrom; h < part.headTo; h++) {
                    MatVec.product(activated, w.down[l], DecoderPart.featureBlockStart(w, h),
                            DecoderPart.featureBlockStart(w, h + 1), c, blockSums[1][h]); // [C]
                }
                exchange(index);
                addBlockSums(blockSums[1]); // x += MLP output
            }
            if (logits != null || hidden != null) {
                rmsNorm(x, w.finalNorm, normed); // [C]
                if (hidden != null) {
                    System.arraycopy(normed, 0, hidden, 0, c);
                }
            }
            if (logits != null) {
                MatVec.product(normed, part.head, 0, c, vocabOut.length, vocabOut); // [own V]
                System.arraycopy(vocabOut, 0, logits, part.vocabFrom, vocabOut.length);
            }
            exchange(index); // the end: every logit and cache entry of this step is written
        }

        /** {@code x += (sums[0] + sums[1] + ... + sums[H-1])}, added in that order by every thread. */
        private void addBlockSums(float[][] sums) {
            System.arraycopy(sums[0], 0, total, 0, total.length);
            for (int h = 1; h < sums.length; h++) {
                float[] s = sums[h];
                for (int i = 0; i < total.length; i++) {
                    total[i] += s[i];
                }
            }
            for (int i = 0; i < x.length; i++) {
                x[i] += total[i];
            }
        }

        /**
         * Attention of the newest token (position {@code length}) in layer {@code l} for this part's heads:
         * rotates and stores the key and value of its key/value heads, then writes each of its heads' weighted
         * values into {@link #attended}.
         */
        private void attention(int l) {
            int d = w.headDim;
            int group = w.heads / w.kvHeads;
            int ownHeads = part.headTo - part.headFrom;
            int ownKv = part.kvTo - part.kvFrom;
            int t = length; // the new token's position; keys 0..t
            int n = t + 1;
            float scale = (float) (1.0 / Math.sqrt(d));
            for (int head = 0; head < ownHeads; head++) {
                rotate(qkv, head * d);
                for (int j = 0; j < d; j++) {
                    qkv[head * d + j] *= scale;
                }
            }
            float[][] k = keys[l];
            float[][] v = values[l];
            for (int kv = 0; kv < ownKv; kv++) {
                int keyAt = (ownHeads + kv) * d;
                int g = part.kvFrom + kv;
                rotate(qkv, keyAt);
                for (int j = 0; j < d; j++) {
                    k[g * d + j][t] = qkv[keyAt + j];
                }
                System.arraycopy(qkv, (ownHeads + ownKv + kv) * d, v[g * capacity + t], 0, d);
            }
            float inverse = (float) (1.0 / n); // 1 / i with i the 1-based position
            for (int local = 0; local < ownHeads; local++) {
                int head = part.headFrom + local;
                int kv = head / group;
                // scores[p] = q . k_p as a sum of key rows (one per dimension), which vectorises over p.
                java.util.Arrays.fill(scores, 0, n, 0f);
                for (int j = 0; j < d; j++) {
                    float q = qkv[local * d + j];
                    float[] row = k[kv * d + j]; // [capacity]
                    for (int p = 0; p < n; p++) {
                        scores[p] += q * row[p];
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
                float sink = w.sink ? w.sinks[l][head] : 0f;
                if (w.sink) {
                    max = Math.max(max, sink); // the sink's key of score s_h takes part in the maximum
                }
                float sum = 0;
                for (int p = 0; p < n; p++) {
                    float e = (float) Math.exp(scores[p] - max);
                    scores[p] = e;
                    sum += e;
                }
                if (w.sink) {
                    sum += (float) Math.exp(sink - max); // exp(s_h) of the denominator, scaled like the other terms
                }
                float threshold = w.elastic ? w.tau[l][head] * inverse : 0f;
                int kept = sparse ? keepNonZero(n, sum, threshold) : keepAll(n, sum, threshold);
                weightedValues(v, kv, kept); // [D] in headOut
                // sigmoid(x Wg) of this head, from the gate columns after the values; 1 without the gate
                float gate = w.gated ? (float) (1.0 / (1.0 + Math.exp(-qkv[(ownHeads + 2 * ownKv) * d + local]))) : 1f;
                for (int j = 0; j < d; j++) {
                    attended[head * d + j] = w.gated ? headOut[j] * gate : headOut[j];
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
         * The non-zero weights only, packed with their key positions into {@link #attentionWeights} and {@link
         * #rows} (written unconditionally and kept by advancing the count, so the loop has no branch to mispredict).
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

        /**
         * {@link #headOut} = sum over the first {@code kept} entries of attentionWeights[e] * v[kv][rows[e]]: value
         * rows indexed like the sum (vectorised, see {@link MatVec}).
         */
        private void weightedValues(float[][] v, int kv, int kept) {
            int d = w.headDim;
            java.util.Arrays.fill(headOut, 0f);
            int base = kv * capacity;
            for (int e = 0; e < kept; e++) {
                float a = attentionWeights[e];
                float[] row = v[base + rows[e]]; // [D]
                for (int j = 0; j < d; j++) {
                    headOut[j] += a * row[j];
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
    }
}

package dev.lazyattention.attention;

/**
 * Lazy Attention in plain Java float64, written from docs/design.md §3 loop by loop without DJL, as the
 * independent reference for the block. Weights use DJL's Linear layout {@code [out, in]} (y = W x).
 *
 * <p>The other baselines, from their definitions: the off-by-one softmax {@code exp(s_j) / (1 + sum_j'
 * exp(s_j'))} (with {@code m = max(max_j s_j, 0)} subtracted from every exponent, 0 included), the learned
 * sink {@code exp(s_j) / (exp(sink_h) + sum_j' exp(s_j'))} (with {@code m = max(max_j s_j, sink_h)}), and the
 * gated variant, whose head h output is multiplied by {@code 1 / (1 + exp(-wg[h] . x_i))} before Wo.
 */
final class ReferenceAttention {

    int hidden;
    int heads;
    int kvHeads;
    int headDim;
    int biasLength;
    double ropeBase = 10000;
    boolean distanceBias;
    boolean elastic;
    boolean offByOne;
    boolean learnedSink;
    boolean gated;

    double[][] wq; // [H*D][C]
    double[][] wk; // [G*D][C]
    double[][] wv; // [G*D][C]
    double[][] wo; // [C][H*D]
    double[] tau; // [H]
    double[][] bias; // [H][Lb]
    double[][] wg; // [H][C], gated variant only
    double[] sinks; // [H], learned sink variant only

    /** Attention weights of the last call: [b][h][i][j] over all keys. */
    double[][][][] lastWeights;

    static ReferenceAttention random(
            java.util.Random random, int hidden, int heads, int kvHeads, int headDim, int biasLength,
            AttentionVariant variant) {
        ReferenceAttention r = new ReferenceAttention();
        r.hidden = hidden;
        r.heads = heads;
        r.kvHeads = kvHeads;
        r.headDim = headDim;
        r.biasLength = biasLength;
        r.distanceBias = variant.hasDistanceBias();
        r.elastic = variant.hasElasticSoftmax();
        // Larger than the init scale so that scores spread, the bias matters and ReLU cuts many weights.
        r.wq = gaussian(random, heads * headDim, hidden, 0.5);
        r.wk = gaussian(random, kvHeads * headDim, hidden, 0.5);
        r.wv = gaussian(random, kvHeads * headDim, hidden, 0.5);
        r.wo = gaussian(random, hidden, heads * headDim, 0.5);
        r.tau = new double[heads];
        for (int h = 0; h < heads; h++) {
            r.tau[h] = -1.5 + 2.0 * random.nextDouble(); // in [-1.5, 0.5): both signs
        }
        r.bias = gaussian(random, heads, biasLength, 0.7);
        r.offByOne = variant.hasOffByOneSoftmax();
        r.gated = variant.hasOutputGate();
        if (r.gated) {
            // Drawn only here, so that the other variants see the same random inputs as before. Large enough
            // that the gates spread over (0, 1).
            r.wg = gaussian(random, heads, hidden, 0.5);
        }
        r.learnedSink = variant.hasLearnedSink();
        if (r.learnedSink) {
            // Drawn only here, like wg. Both signs and about the scores' size, so that the sink takes anything
            // from a little to most of a row.
            r.sinks = new double[heads];
            for (int h = 0; h < heads; h++) {
                r.sinks[h] = -2.0 + 4.0 * random.nextDouble();
            }
        }
        return r;
    }

    static double[][] gaussian(java.util.Random random, int rows, int cols, double std) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int c = 0; c < cols; c++) {
                row[c] = std * random.nextGaussian();
            }
        }
        return m;
    }

    /** y[b][t][c] for x[b][t][c] whose first token sits at absolute position {@code offset}. */
    double[][][] forward(double[][][] x, int offset) {
        return forward(x, offset, null);
    }

    /**
     * As {@link #forward(double[][][], int)} with padding: {@code keyMask[b][t]} is false for padded tokens
     * (null: none). A query attends to the real keys at or before it only, and its {@code i} in {@code
     * tau / i} is {@code offset} plus the number of those keys, counted here row by row. RoPE and the
     * distance bias keep the absolute positions, pads included. A query with no real key gets weight 0
     * everywhere.
     */
    double[][][] forward(double[][][] x, int offset, boolean[][] keyMask) {
        int batch = x.length;
        int time = x[0].length;
        int group = heads / kvHeads;
        double[][][] y = new double[batch][time][hidden];
        lastWeights = new double[batch][heads][time][time];
        for (int b = 0; b < batch; b++) {
            double[][] q = new double[time][];
            double[][] k = new double[time][];
            double[][] v = new double[time][];
            for (int t = 0; t < time; t++) {
                q[t] = matVec(wq, x[b][t]);
                k[t] = matVec(wk, x[b][t]);
                v[t] = matVec(wv, x[b][t]);
                rope(q[t], heads, offset + t);
                rope(k[t], kvHeads, offset + t);
            }
            double[][] merged = new double[time][heads * headDim];
            for (int h = 0; h < heads; h++) {
                int g = h / group;
                for (int i = 0; i < time; i++) {
                    double[] s = new double[i + 1];
                    boolean[] real = new boolean[i + 1];
                    int realKeys = 0;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        real[j] = keyMask == null || keyMask[b][j];
                        if (!real[j]) {
                            continue;
                        }
                        realKeys++;
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) {
                            dot += q[i][h * headDim + d] * k[j][g * headDim + d];
                        }
                        s[j] = dot / Math.sqrt(headDim);
                        int distance = i - j;
                        if (distanceBias && distance < biasLength) {
                            s[j] += bias[h][distance];
                        }
                        max = Math.max(max, s[j]);
                    }
                    if (realKeys == 0) {
                        continue; // a padded query before the row's first real token: no weight at all
                    }
                    // The off-by-one softmax has an extra term exp(0 - shift) for its implicit zero-score key, the
                    // learned sink exp(sink_h - shift); shifting by max(max, sink) keeps every exponent, that one
                    // included, at most 0.
                    boolean withSink = offByOne || learnedSink;
                    double sink = learnedSink ? sinks[h] : 0;
                    double shift = withSink ? Math.max(max, sink) : max;
                    double sum = withSink ? Math.exp(sink - shift) : 0;
                    for (int j = 0; j <= i; j++) {
                        s[j] = real[j] ? Math.exp(s[j] - shift) : 0;
                        sum += s[j];
                    }
                    double gate = 1;
                    if (gated) {
                        double logit = 0;
                        for (int c = 0; c < hidden; c++) {
                            logit += wg[h][c] * x[b][i][c];
                        }
                        gate = 1 / (1 + Math.exp(-logit));
                    }
                    int position = offset + realKeys; // 1-based position counting the real tokens only
                    for (int j = 0; j <= i; j++) {
                        if (!real[j]) {
                            continue;
                        }
                        double p = s[j] / sum;
                        double a = elastic ? Math.max(0, p + tau[h] / position) : p;
                        lastWeights[b][h][i][j] = a;
                        for (int d = 0; d < headDim; d++) {
                            merged[i][h * headDim + d] += gate * a * v[j][g * headDim + d];
                        }
                    }
                }
            }
            for (int t = 0; t < time; t++) {
                y[b][t] = matVec(wo, merged[t]);
            }
        }
        return y;
    }

    /** Rotate-half RoPE of every head in place. */
    private void rope(double[] vector, int numHeads, int position) {
        int half = headDim / 2;
        for (int h = 0; h < numHeads; h++) {
            int base0 = h * headDim;
            for (int i = 0; i < half; i++) {
                double angle = position * Math.pow(ropeBase, -2.0 * i / headDim);
                double a = vector[base0 + i];
                double b = vector[base0 + i + half];
                vector[base0 + i] = a * Math.cos(angle) - b * Math.sin(angle);
                vector[base0 + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
            }
        }
    }

    private static double[] matVec(double[][] w, double[] x) {
        double[] out = new double[w.length];
        for (int r = 0; r < w.length; r++) {
            double acc = 0;
            for (int c = 0; c < x.length; c++) {
                acc += w[r][c] * x[c];
            }
            out[r] = acc;
        }
        return out;
    }
}

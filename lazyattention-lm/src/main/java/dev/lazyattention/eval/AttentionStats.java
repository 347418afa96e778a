package dev.lazyattention.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;


import java.util.List;
import java.util.Locale;
import dev.lazyattention.util.Tensors;

/**
 * Attention diagnostics of docs/design.md §6, accumulated over forward passes:
 *
 * <ul>
 *   <li>{@code sparsity}: share of causal entries ({@code j <= i}) of A that are exactly 0, over layers,
 *       heads and queries; also per layer.
 *   <li>{@code sinkMass}: mean weight on the first key over layers, heads and queries {@code i > 1}.
 *   <li>{@code sinkRate}: share of (layer, head) pairs whose mean first-key weight exceeds 0.3.
 *   <li>{@code survivingMass}: mean row sum of A (1 for softmax). Below 1 for the off-by-one softmax, whose
 *       implicit key of score 0 and value 0 takes {@code 1 - survivingMass}; that key is not the first key,
 *       so it counts in no sink mass.
 * </ul>
 *
 * <p>For the gated variant, A is the softmax before each head's output gate: these statistics describe
 * where a head looks, not how much of its output the gate lets through.
 *
 * <p>The first key is the first token of each forward window. Only real (not padding) queries and keys
 * count. Not thread-safe; {@link #merge} combines accumulators.
 */
public final class AttentionStats {

    /** Mean first-key weight above which a head counts as an attention sink. */
    public static final double SINK_THRESHOLD = 0.3;

    private final int layers;
    private final int heads;
    private final double[] zeros;
    private final double[] causal;
    private final double[][] sinkSum;
    private double sinkQueries;
    private double rowSum;
    private double rows;

    public AttentionStats(int layers, int heads) {
        this.layers = layers;
        this.heads = heads;
        zeros = new double[layers];
        causal = new double[layers];
        sinkSum = new double[layers][heads];
    }

    /** Where the attention of one query goes: the accumulators it counts in (none to skip it). */
    @FunctionalInterface
    public interface QueryTarget {
        /**
         * @param row batch row
         * @param query query position within the row
         * @return accumulators that count this query, or an empty array
         */
        AttentionStats[] of(int row, int query);
    }

    /**
     * Adds one forward pass query by query.
     *
     * @param weights per layer A [B, H, T, T] float32 (no cached keys)
     * @param lengths real length of each row (right padding beyond)
     * @param target which accumulators each real query counts in
     */
    public static void accumulate(List<NDArray> weights, int[] lengths, QueryTarget target) {
        if (weights.isEmpty()) {
            return;
        }
        NDArray first = weights.get(0);
        NDManager manager = first.getManager();
        Shape shape = first.getShape();
        int b = Math.toIntExact(shape.get(0));
        int h = Math.toIntExact(shape.get(1));
        int t = Math.toIntExact(shape.get(2));
        float[] valid = new float[b * t * t];
        for (int row = 0; row < b; row++) {
            for (int i = 0; i < lengths[row]; i++) {
                for (int j = 0; j <= i; j++) {
                    valid[(row * t + i) * t + j] = 1f;
                }
            }
        }
        NDArray validMask = Tensors.of(manager, valid, new Shape(b, 1, t, t)); // [B, 1, T, T]
        AttentionStats[][][] targets = new AttentionStats[b][t][];
        for (int row = 0; row < b; row++) {
            for (int q = 0; q < lengths[row]; q++) {
                targets[row][q] = target.of(row, q);
            }
        }
        for (int layer = 0; layer < weights.size(); layer++) {
            NDArray a = weights.get(layer); // [B, H, T, T]
            float[] zeros = a.eq(0f).toType(DataType.FLOAT32, false).mul(validMask)
                    .sum(new int[] {1, 3}).toFloatArray(); // [B, T]
            float[] rowSums = a.sum(new int[] {1, 3}).toFloatArray(); // [B, T]
            float[] sinks = a.get(new NDIndex(":, :, :, 0")).toFloatArray(); // [B, H, T]
            for (int row = 0; row < b; row++) {
                for (int q = 0; q < lengths[row]; q++) {
                    for (AttentionStats s : targets[row][q]) {
                        s.zeros[layer] += zeros[row * t + q];
                        s.causal[layer] += (double) h * (q + 1);
                        s.rowSum += rowSums[row * t + q];
                        s.rows += h;
                        if (q >= 1) {
                            for (int head = 0; head < h; head++) {
                                s.sinkSum[layer][head] += sinks[(row * h + head) * t + q];
                            }
                            if (layer == 0) {
                                s.sinkQueries++;
                            }
                        }
                    }
                }
            }
        }
    }

    /** Adds another accumulator's counts to this one. */
    public void merge(AttentionStats other) {
        for (int l = 0; l < layers; l++) {
            zeros[l] += other.zeros[l];
            causal[l] += other.causal[l];
            for (int h = 0; h < heads; h++) {
                sinkSum[l][h] += other.sinkSum[l][h];
            }
        }
        sinkQueries += other.sinkQueries;
        rowSum += other.rowSum;
        rows += other.rows;
    }

    public double sparsity() {
        double z = 0;
        double c = 0;
        for (int l = 0; l < layers; l++) {
            z += zeros[l];
            c += causal[l];
        }
        return c == 0 ? Double.NaN : z / c;
    }

    public double[] sparsityPerLayer() {
        double[] s = new double[layers];
        for (int l = 0; l < layers; l++) {
            s[l] = causal[l] == 0 ? Double.NaN : zeros[l] / causal[l];
        }
        return s;
    }

    /** Mean first-key weight of each (layer, head) over queries i > 1. */
    public double[][] sinkMassPerHead() {
        double[][] m = new double[layers][heads];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                m[l][h] = sinkQueries == 0 ? Double.NaN : sinkSum[l][h] / sinkQueries;
            }
        }
        return m;
    }

    public double sinkMass() {
        double sum = 0;
        for (double[] layer : sinkSum) {
            for (double v : layer) {
                sum += v;
            }
        }
        return sinkQueries == 0 ? Double.NaN : sum / (sinkQueries * layers * heads);
    }

    public double sinkRate() {
        if (sinkQueries == 0) {
            return Double.NaN;
        }
        int sinks = 0;
        for (double[] layer : sinkMassPerHead()) {
            for (double v : layer) {
                sinks += v > SINK_THRESHOLD ? 1 : 0;
            }
        }
        return (double) sinks / (layers * heads);
    }

    public double survivingMass() {
        return rows == 0 ? Double.NaN : rowSum / rows;
    }

    public int layers() {
        return layers;
    }

    public int heads() {
        return heads;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "sparsity=%.4f sinkMass=%.4f sinkRate=%.3f survivingMass=%.4f",
                sparsity(), sinkMass(), sinkRate(), survivingMass());
    }
}

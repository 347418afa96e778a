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
 * Attention diagnostics of DESIGN §6, accumulated over forward passes:
 *
 * <ul>
 *   <li>{@code sparsity}: share of causal entries ({@code j <= i}) of A that are exactly 0, over layers,
 *       heads and queries; also per layer.
 *   <li>{@code sinkMass}: mean weight on the first key over layers, heads and queries {@code i > 1}.
 *   <li>{@code sinkRate}: share of (layer, head) pairs whose mean first-key weight exceeds 0.3.
 *   <li>{@code survivingMass}: mean row sum of A (1 for softmax).
 * </ul>
 *
 * The first key is the first token of each forward window. Only real (not padding) queries and keys
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

    /**
     * Adds one forward pass, keeping rows apart.
     *
     * @param weights per layer A [B, H, T, T] float32 (no cached keys)
     * @param lengths real length of each row (right padding beyond)
     * @param target per row, the accumulator it goes to (null to skip the row)
     */
    public static void accumulate(List<NDArray> weights, int[] lengths, AttentionStats[] target) {
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
        float[] queries = new float[b * t];
        for (int row = 0; row < b; row++) {
            for (int i = 0; i < lengths[row]; i++) {
                queries[row * t + i] = 1f;
                for (int j = 0; j <= i; j++) {
                    valid[(row * t + i) * t + j] = 1f;
                }
            }
        }
        NDArray validMask = Tensors.of(manager, valid, new Shape(b, 1, t, t)); // [B, 1, T, T]
        NDArray queryMask = Tensors.of(manager, queries, new Shape(b, 1, t)); // [B, 1, T]
        for (int layer = 0; layer < weights.size(); layer++) {
            NDArray a = weights.get(layer); // [B, H, T, T]
            float[] zeroCounts = a.eq(0f).toType(DataType.FLOAT32, false).mul(validMask)
                    .sum(new int[] {1, 2, 3}).toFloatArray(); // [B]
            float[] rowSums = a.sum(new int[] {-1}).mul(queryMask).sum(new int[] {1, 2}).toFloatArray(); // [B]
            float[] sinks = t < 2 ? new float[b * h]
                    : a.get(new NDIndex(":, :, 1:, 0")).mul(queryMask.get(new NDIndex(":, :, 1:")))
                            .sum(new int[] {2}).toFloatArray(); // [B, H]
            for (int row = 0; row < b; row++) {
                AttentionStats s = target[row];
                if (s == null) {
                    continue;
                }
                long n = lengths[row];
                s.zeros[layer] += zeroCounts[row];
                s.causal[layer] += (double) h * n * (n + 1) / 2;
                s.rowSum += rowSums[row];
                s.rows += (double) h * n;
                for (int head = 0; head < h; head++) {
                    s.sinkSum[layer][head] += sinks[row * h + head];
                }
                if (layer == 0) {
                    s.sinkQueries += Math.max(0, n - 1);
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

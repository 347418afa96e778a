package dev.lazyattention.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Representational collapse of docs/design.md §6, accumulated over scoring windows: how alike the token
 * representations of one window are, per layer.
 *
 * <ul>
 *   <li>{@code meanCosine}: the mean over windows of the mean cosine similarity of the window's token
 *       representations over all pairs {@code i != j} (not only causal pairs). 1 is total collapse.
 *   <li>{@code effectiveRank}: the mean over windows of the effective rank (Roy and Vetterli 2007) of the
 *       window's representations {@code X [n, C]}, uncentred: {@code exp(-sum_k p_k ln p_k)} with {@code
 *       p_k = s_k / sum s} over the singular values {@code s} of X. It lies in {@code [1, min(n, C)]}; 1 is
 *       total collapse. X holds at most {@link #RANK_ROWS} tokens of the window, evenly spaced (all of
 *       them in shorter windows), which bounds its cost at about a millisecond per window and layer.
 * </ul>
 *
 * <p>The representation at layer {@code l} is the residual stream after decoder layer {@code l} (so index 0
 * is the first layer's output); the {@code final} figures are the final RMS-normalised hidden state the
 * logits are computed from. A window is the positions {@code 1 .. n-1} of one scoring window of {@code n}
 * real tokens (no padding): its first position, the start token of a start-token model or the first text
 * token otherwise, attends only to itself and is where an attention sink forms, so it is left out alike
 * for every model. Windows overlap by the scorer's context; each counts once, with equal weight. Windows
 * with fewer than 2 such positions count in none.
 *
 * <p>Not thread-safe; {@link #merge} combines accumulators.
 */
public final class CollapseStats {

    /** Most tokens of a window whose effective rank is taken. */
    public static final int RANK_ROWS = 64;

    private final int layers;
    private final double[] cosineSum; // per layer, then the final normalised state
    private final double[] rankSum;
    private long windows;

    public CollapseStats(int layers) {
        this.layers = layers;
        cosineSum = new double[layers + 1];
        rankSum = new double[layers + 1];
    }

    /**
     * Adds windows of one forward pass.
     *
     * @param states per layer the residual stream after it, then the final normalised hidden state, each
     *     {@code [B, T, C]}
     * @param from per row, the first position of the window
     * @param to per row, one past its last position
     * @param target per row, the accumulator the window counts in, or null for none
     */
    public static void accumulate(List<NDArray> states, int[] from, int[] to, CollapseStats[] target) {
        Shape shape = states.get(0).getShape();
        int t = Math.toIntExact(shape.get(1));
        int c = Math.toIntExact(shape.get(2));
        for (int s = 0; s < states.size(); s++) {
            float[] x = states.get(s).toType(DataType.FLOAT32, false).toFloatArray(); // [B, T, C]
            for (int row = 0; row < target.length; row++) {
                int n = to[row] - from[row];
                if (target[row] == null || n < 2) {
                    continue;
                }
                double[][] rows = new double[n][c];
                for (int i = 0; i < n; i++) {
                    int base = (row * t + from[row] + i) * c;
                    for (int k = 0; k < c; k++) {
                        rows[i][k] = x[base + k];
                    }
                }
                target[row].cosineSum[s] += meanCosine(rows);
                target[row].rankSum[s] += effectiveRank(evenlySpaced(rows, RANK_ROWS));
                if (s == 0) {
                    target[row].windows++;
                }
            }
        }
    }

    /**
     * Mean cosine similarity over all pairs {@code i != j} of {@code rows} (at least 2): the sum of all pairs
     * of unit rows is {@code |sum_i u_i|^2 - n}. A zero row has cosine 0 with every row.
     */
    public static double meanCosine(double[][] rows) {
        int n = rows.length;
        if (n < 2) {
            throw new IllegalArgumentException("the mean pairwise cosine needs at least 2 rows, got " + n);
        }
        double[] sum = new double[rows[0].length];
        int zero = 0;
        for (double[] r : rows) {
            double norm = 0;
            for (double v : r) {
                norm += v * v;
            }
            norm = Math.sqrt(norm);
            if (norm == 0) {
                zero++;
                continue;
            }
            for (int k = 0; k < r.length; k++) {
                sum[k] += r[k] / norm;
            }
        }
        double square = 0;
        for (double v : sum) {
            square += v * v;
        }
        return (square - (n - zero)) / ((double) n * (n - 1));
    }

    /** At most {@code count} of {@code rows}, evenly spaced from the first; all of them if there are no more. */
    static double[][] evenlySpaced(double[][] rows, int count) {
        if (rows.length <= count) {
            return rows;
        }
        double[][] picked = new double[count][];
        for (int k = 0; k < count; k++) {
            picked[k] = rows[(int) ((long) k * rows.length / count)];
        }
        return picked;
    }

    /**
     * Effective rank (Roy and Vetterli 2007) of the matrix X whose rows are {@code rows}: {@code exp} of the
     * Shannon entropy of its singular values divided by their sum; 0 for a zero matrix. The singular values
     * are the square roots of the eigenvalues of the smaller Gram matrix ({@code X X^T} or {@code X^T X}),
     * which costs a fifth of EJML's SVD of a wide X; eigenvalues within {@code max(n, C)} rounding errors of
     * 0 (below {@code max(n, C) * ulp(1) * largest}) count as 0, as they are below the Gram's precision.
     */
    public static double effectiveRank(double[][] rows) {
        DMatrixRMaj x = new DMatrixRMaj(rows);
        int side = Math.min(x.numRows, x.numCols);
        DMatrixRMaj gram = new DMatrixRMaj(side, side);
        if (x.numRows > x.numCols) {
            CommonOps_DDRM.multTransA(x, x, gram);
        } else {
            CommonOps_DDRM.multTransB(x, x, gram);
        }
        EigenDecomposition_F64<DMatrixRMaj> eigen = DecompositionFactory_DDRM.eig(side, false, true);
        if (!eigen.decompose(gram)) {
            throw new IllegalStateException("the eigenvalues of a " + side + " x " + side + " Gram matrix did not converge");
        }
        double[] lambda = new double[side];
        double largest = 0;
        for (int k = 0; k < side; k++) {
            lambda[k] = eigen.getEigenvalue(k).real;
            largest = Math.max(largest, lambda[k]);
        }
        double floor = largest * Math.max(x.numRows, x.numCols) * Math.ulp(1.0);
        double total = 0;
        for (int k = 0; k < side; k++) {
            lambda[k] = lambda[k] > floor ? Math.sqrt(lambda[k]) : 0; // now a singular value
            total += lambda[k];
        }
        if (total == 0) {
            return 0;
        }
        double entropy = 0;
        for (double s : lambda) {
            if (s > 0) {
                double p = s / total;
                entropy -= p * Math.log(p);
            }
        }
        return Math.exp(entropy);
    }

    /** Adds another accumulator's windows to this one. */
    public void merge(CollapseStats other) {
        for (int s = 0; s <= layers; s++) {
            cosineSum[s] += other.cosineSum[s];
            rankSum[s] += other.rankSum[s];
        }
        windows += other.windows;
    }

    /** Per layer, the mean pairwise cosine of the residual stream after it (NaN without windows). */
    public double[] meanCosinePerLayer() {
        return Arrays.copyOf(mean(cosineSum), layers);
    }

    /** Per layer, the mean effective rank of the residual stream after it (NaN without windows). */
    public double[] effectiveRankPerLayer() {
        return Arrays.copyOf(mean(rankSum), layers);
    }

    /** The mean pairwise cosine of the final normalised hidden state. */
    public double meanCosineFinal() {
        return mean(cosineSum)[layers];
    }

    /** The mean effective rank of the final normalised hidden state. */
    public double effectiveRankFinal() {
        return mean(rankSum)[layers];
    }

    /** Windows measured. */
    public long windows() {
        return windows;
    }

    public int layers() {
        return layers;
    }

    private double[] mean(double[] sums) {
        double[] m = new double[sums.length];
        for (int s = 0; s < sums.length; s++) {
            m[s] = windows == 0 ? Double.NaN : sums[s] / windows;
        }
        return m;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "meanCosine=%s effectiveRank=%s windows=%d",
                Arrays.toString(meanCosinePerLayer()), Arrays.toString(effectiveRankPerLayer()), windows);
    }
}

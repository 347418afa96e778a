package dev.lazyattention.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.lazyattention.util.Views;

/**
 * Elastic-Softmax of Lazy Attention: {@code A[h,i,j] = ReLU(softmax_j(S[h,i,:]) + tau[h] / i)} on the causal
 * entries {@code j <= i} and 0 elsewhere. Weights below the per-head, per-position threshold
 * {@code -tau/i} become exact zeros, and a row may sum to less than 1, even to 0.
 *
 * <p>Everything here runs in float32 whatever the dtype of the scores: in bfloat16 the sum
 * {@code P + tau/i} rounds to the wrong side of 0 for weights near the threshold. The causal mask is
 * applied again after the ReLU, because a positive tau would otherwise give future keys a weight of
 * {@code tau/i}.
 *
 * <p>Usable on its own over any scores tensor, e.g. in another block:
 *
 * <pre>{@code
 * NDArray weights = ElasticSoftmax.causal(scores, tau, 0); // scores [B, H, T, T], tau [H]
 * }</pre>
 */
public final class ElasticSoftmax {

    private ElasticSoftmax() {}

    /**
     * Causal Elastic-Softmax of raw scores whose queries start at absolute position {@code positionOffset}.
     * With {@code Tk > Tq} the first {@code Tk - Tq} keys are earlier (cached) positions.
     *
     * @param scores [..., H, Tq, Tk] raw scores (bias included, no mask), any floating dtype
     * @param tau [H] thresholds
     * @param positionOffset absolute 0-based position of the first query
     * @return [..., H, Tq, Tk] float32 weights
     */
    public static NDArray causal(NDArray scores, NDArray tau, long positionOffset) {
        Shape shape = scores.getShape();
        int dims = shape.dimension();
        if (dims < 3) {
            throw new IllegalArgumentException("scores must be [..., H, Tq, Tk], got shape " + shape);
        }
        int tq = Math.toIntExact(shape.get(dims - 2));
        int tk = Math.toIntExact(shape.get(dims - 1));
        if (tk < tq) {
            throw new IllegalArgumentException(
                    "scores have " + tk + " keys for " + tq + " queries; causal attention needs Tk >= Tq");
        }
        AttentionContext context = AttentionContext.builder(scores.getManager(), 1, tq)
                .optPastLength(tk - tq)
                .optPositionOffset(positionOffset)
                .build();
        NDArray masked = scores.toType(DataType.FLOAT32, false).add(context.causalMask()); // [..., H, Tq, Tk]
        // The caller's tau may live in a long-lived manager: work on a view that the scores' manager frees.
        NDArray tauView = Views.of(tau, scores.getManager()); // [H]
        return apply(masked, tauView, context.inverseQueryPositions(), context.causalKeep());
    }

    /**
     * Elastic-Softmax of masked scores, as a layer uses it.
     *
     * @param maskedScores [..., H, Tq, Tk] float32 scores, future (and padded) keys pushed to a very negative
     *     value
     * @param tau [H] thresholds (any floating dtype; used in float32)
     * @param inverseQueryPositions float32 {@code 1 / i}: [Tq, 1] for positions shared by all rows, or [B, 1,
     *     Tq, 1] for counts per row (a padded batch)
     * @param keep float32, 1 on the entries a query may see and 0 elsewhere: [Tq, Tk] (causal), or [B, 1, Tq,
     *     Tk] (causal and real keys of each row)
     * @return [..., H, Tq, Tk] float32 weights, 0 wherever {@code keep} is 0
     */
    static NDArray apply(NDArray maskedScores, NDArray tau, NDArray inverseQueryPositions, NDArray keep) {
        long heads = tau.getShape().get(0);
        NDArray p = maskedScores.softmax(-1); // [..., H, Tq, Tk]
        NDArray threshold = tau.toType(DataType.FLOAT32, false).reshape(heads, 1, 1)
                .mul(inverseQueryPositions); // [H, Tq, 1] or [B, H, Tq, 1]
        if (threshold.getShape().dimension() == 3 && keep.getShape().dimension() == 2) {
            if (notPositive(tau)) {
                // P is exactly 0 on future keys, so there A = ReLU(tau/i) = 0 already when no tau is positive,
                // and the ReLU passes them no gradient: no mask at all. The threshold then reaches A broadcast
                // from [H, Tq, 1], and its gradient is one sum over [B, ..., Tk], not one into [H, Tq, Tk].
                return Activation.relu(p.add(threshold)); // [..., H, Tq, Tk]
            }
            // Masking the threshold instead of A is the same (P is exactly 0 on future keys) and costs
            // [H, Tq, Tk] instead of [B, H, Tq, Tk].
            return Activation.relu(p.add(threshold.mul(keep))); // [..., H, Tq, Tk]
        }
        // Per-row thresholds or masks: mask A itself, which also zeroes the uniform P of a query whose every
        // key is masked (a leading pad).
        return Activation.relu(p.add(threshold)).mul(keep); // [B, H, Tq, Tk]
    }

    /** Whether every threshold is at most 0 (reads one boolean back; a NaN is not). */
    private static boolean notPositive(NDArray tau) {
        return tau.stopGradient().lte(0f).all().getBoolean(); // [H] -> []
    }
}

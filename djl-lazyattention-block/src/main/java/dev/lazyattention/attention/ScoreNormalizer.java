package dev.lazyattention.attention;

import ai.djl.ndarray.NDArray;

/** Turns masked float32 attention scores into attention weights; one implementation per normalisation. */
interface ScoreNormalizer {

    /**
     * @param scores [B, H, Tq, Tk] float32, future and padded keys already pushed to a very negative value
     * @param tau [H] float32 thresholds, or null when the normalisation has none
     * @param context positions of the queries and keys
     * @return [B, H, Tq, Tk] float32 weights, exactly 0 on future keys
     */
    NDArray normalize(NDArray scores, NDArray tau, AttentionContext context);

    /** Ordinary softmax: every row sums to 1. */
    ScoreNormalizer SOFTMAX = (scores, tau, context) -> {
        NDArray p = scores.softmax(-1); // [B, H, Tq, Tk]
        // Without padding, P is exactly 0 on future keys. With padding, a padding query whose every key is
        // masked gets a uniform row: zero it.
        return context.keyPaddingMask() == null ? p : p.mul(context.keep());
    };

    /** Elastic-Softmax, see {@link ElasticSoftmax}. */
    ScoreNormalizer ELASTIC = (scores, tau, context) ->
        // With padding, 1/i is counted per row and A is masked with the padded keys too: a positive tau
        // would otherwise give padded keys a weight of tau/i, like future keys.
        ElasticSoftmax.apply(scores, tau, context.inverseQueryPositions(), context.keep());

    /**
     * Softmax with 1 added to the denominator: {@code A = exp(S) / (1 + sum_j exp(S))}, as if every query also
     * saw a key of score 0 and value 0. Computed with {@code m = max(max_j S, 0)} as {@code exp(S - m) /
     * (exp(-m) + sum_j exp(S - m))}, which overflows for no score. Masked scores are about -1e30, so their
     * {@code exp} is exactly 0; a query whose every key is masked (a leading pad) gets {@code m = 0}, the
     * denominator 1 and a row of zeros, never NaN.
     */
    ScoreNormalizer OFF_BY_ONE = (scores, tau, context) -> {
        // A does not depend on m: no gradient needs to flow through the max.
        NDArray m = scores.max(new int[] {-1}, true).maximum(0f).stopGradient(); // [B, H, Tq, 1]
        NDArray e = scores.sub(m).exp(); // [B, H, Tq, Tk]
        NDArray denominator = m.neg().exp().add(e.sum(new int[] {-1}, true)); // [B, H, Tq, 1]
        return e.div(denominator); // [B, H, Tq, Tk]
    };
}

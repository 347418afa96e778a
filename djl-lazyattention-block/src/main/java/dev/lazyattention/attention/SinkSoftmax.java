package dev.lazyattention.attention;

import ai.djl.ndarray.NDArray;

/**
 * Softmax with a sink: {@code A = exp(S) / (exp(s_h) + sum_j exp(S_j))}, as if every query of head h also saw
 * a key of score {@code s_h} and value 0, so a row sums to less than 1. The off-by-one softmax is the sink
 * {@code s_h = 0}; {@link AttentionVariant#LEARNED_SINK} learns {@code s_h}.
 *
 * <p>Computed with {@code m = max(max_j S_j, s_h)} as {@code exp(S - m) / (exp(s_h - m) + sum_j exp(S_j -
 * m))}: every exponent is at most 0, so nothing overflows. Masked scores are about -1e30, so their {@code exp}
 * is exactly 0; a query whose every key is masked (a leading pad) gets {@code m = s_h}, the denominator 1 and
 * a row of zeros, never NaN.
 */
final class SinkSoftmax {

    private SinkSoftmax() {}

    /**
     * @param scores [B, H, Tq, Tk] float32, masked keys already pushed to a very negative value
     * @param sinks float32 sink logits broadcastable to [B, H, Tq, 1]: [1, H, 1, 1] or a scalar
     * @return [B, H, Tq, Tk] float32 weights
     */
    static NDArray apply(NDArray scores, NDArray sinks) {
        // A does not depend on m: no gradient needs to flow through the max.
        NDArray m = scores.max(new int[] {-1}, true).maximum(sinks).stopGradient(); // [B, H, Tq, 1]
        NDArray e = scores.sub(m).exp(); // [B, H, Tq, Tk]
        NDArray denominator = sinks.sub(m).exp().add(e.sum(new int[] {-1}, true)); // [B, H, Tq, 1]
        return e.div(denominator); // [B, H, Tq, Tk]
    }
}

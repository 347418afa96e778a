package dev.lazyattention.attention;

import ai.djl.ndarray.NDArray;
import dev.lazyattention.util.Tensors;

/** Turns masked float32 attention scores into attention weights; one implementation per normalisation. */
interface ScoreNormalizer {

    /**
     * @param scores [B, H, Tq, Tk] float32, future and padded keys already pushed to a very negative value
     * @param parameter [H] float32 per-head parameter of the normalisation (Elastic-Softmax's thresholds tau,
     *     the sink logits s), or null when it has none
     * @param context positions of the queries and keys
     * @return [B, H, Tq, Tk] float32 weights, exactly 0 on future keys
     */
    NDArray normalize(NDArray scores, NDArray parameter, AttentionContext context);

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
     * saw a key of score 0 and value 0: the {@link SinkSoftmax} with every sink at 0.
     */
    ScoreNormalizer OFF_BY_ONE = (scores, parameter, context) ->
        SinkSoftmax.apply(scores, Tensors.scalar(context.manager(), 0f)); // a scalar sink of 0

    /**
     * Softmax with a learned sink logit per head: {@code A = exp(S) / (exp(s_h) + sum_j exp(S))}, see {@link
     * SinkSoftmax}; the parameter is the sink logits {@code s} [H].
     */
    ScoreNormalizer LEARNED_SINK = (scores, sinks, context) ->
        SinkSoftmax.apply(scores, sinks.reshape(1, -1, 1, 1)); // sinks [1, H, 1, 1]
}

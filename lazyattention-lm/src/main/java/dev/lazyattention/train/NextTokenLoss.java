package dev.lazyattention.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * Mean next-token cross-entropy in nats, {@code -log softmax(logits)[label]}, for logits [B, T, V] and labels
 * [B, T]. Written as its own {@link Loss} because DJL's SoftmaxCrossEntropyLoss picks labels wrongly for
 * [B, T, V] predictions when B != T (its pick index expansion repeats the first dimension).
 */
public final class NextTokenLoss extends Loss {

    public NextTokenLoss() {
        super("NextTokenLoss");
    }

    /** Per-token negative log-likelihood [B, T] (float32). */
    public static NDArray tokenNll(NDArray logits, NDArray labels) {
        NDArray logProbabilities = logits.logSoftmax(-1); // [B, T, V]
        return logProbabilities.gather(labels.expandDims(-1), -1).squeeze(-1).neg(); // [B, T]
    }

    /** {@inheritDoc} */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        return tokenNll(predictions.head(), labels.head()).mean();
    }
}

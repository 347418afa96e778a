package dev.lazyattention.generate;

import java.util.List;

/**
 * A generated continuation.
 *
 * @param promptIds the prompt's tokens (after the leading {@code <|endoftext|>})
 * @param ids the generated tokens, the final {@code <|endoftext|>} included if one was generated
 * @param text the generated text (end-of-text not included)
 * @param logits each step's next-token logits (only when recorded)
 * @param slides how many times the window slid past the context length
 * @param promptLogProbabilities the natural-log probability of each prompt token given {@code <|endoftext|>}
 *     and the prompt tokens before it, read from the first step's forward pass the way {@code
 *     SequenceScorer} reads its passes; empty when no token was asked for
 */
public record Generation(int[] promptIds, int[] ids, String text, List<float[]> logits, int slides,
        double[] promptLogProbabilities) {

    /** The prompt's log-probability (natural log): the sum of {@link #promptLogProbabilities}. */
    public double promptLogProbability() {
        double sum = 0;
        for (double lp : promptLogProbabilities) {
            sum += lp;
        }
        return sum;
    }
}

package dev.lazyattention.eval;

import java.util.List;

/**
 * Scores of one {@link ScoringRequest}.
 *
 * @param logProbabilities natural-log probability of each scored token, in order
 * @param attention attention diagnostics over the windows of this sequence, or null unless asked for
 * @param nextTokens the most likely tokens after the last one, or an empty list unless asked for
 */
public record SequenceScore(double[] logProbabilities, AttentionStats attention, List<TokenPrediction> nextTokens) {

    /** Sum of the log-probabilities (natural log). */
    public double logProbability() {
        double sum = 0;
        for (double lp : logProbabilities) {
            sum += lp;
        }
        return sum;
    }
}

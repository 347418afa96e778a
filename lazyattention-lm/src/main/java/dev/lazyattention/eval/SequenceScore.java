package dev.lazyattention.eval;

import java.util.List;

/**
 * Scores of one {@link ScoringRequest}.
 *
 * @param logProbabilities natural-log probability of each scored token, in order
 * @param attention attention diagnostics over the queries of the scored part, or null unless asked for
 * @param segmentAttention per segment, its queries' attention diagnostics (empty without segments)
 * @param predictions per prediction position, the most likely next tokens (empty unless asked for)
 * @param collapse representational collapse over the request's windows, or null unless asked for
 */
public record SequenceScore(double[] logProbabilities, AttentionStats attention, List<AttentionStats> segmentAttention,
        List<List<TokenPrediction>> predictions, CollapseStats collapse) {

    /** Sum of the log-probabilities (natural log). */
    public double logProbability() {
        double sum = 0;
        for (double lp : logProbabilities) {
            sum += lp;
        }
        return sum;
    }

    /** The most likely tokens after the last prediction position (the last token by default). */
    public List<TokenPrediction> nextTokens() {
        return predictions.isEmpty() ? List.of() : predictions.get(predictions.size() - 1);
    }
}

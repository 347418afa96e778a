package dev.lazyattention.spark;

import dev.lazyattention.eval.AttentionStats;
import dev.lazyattention.eval.SequenceScore;

/**
 * The scores of one document or sentence, with the metric names of the rest of the project.
 *
 * @param logProb natural-log probability of the text, each piece given everything before it in the text
 *     (the first after {@code <|endoftext|>})
 * @param pieces model tokens (sub-word pieces) scored
 * @param bytes UTF-8 bytes of the text
 * @param sparsity share of exactly-zero causal attention weights over the text's queries, or null when not
 *     computed or undefined
 * @param sinkMass mean attention weight on the first token, or null when not computed or undefined
 */
public record TextScore(double logProb, int pieces, long bytes, Double sparsity, Double sinkMass) {

    /** The scores of an empty text: log-probability 0 over 0 pieces. */
    static TextScore empty(long bytes) {
        return new TextScore(0, 0, bytes, null, null);
    }

    static TextScore of(SequenceScore score, long bytes) {
        AttentionStats stats = score.attention();
        Double sparsity = stats == null ? null : definedOrNull(stats.sparsity());
        Double sinkMass = stats == null ? null : definedOrNull(stats.sinkMass());
        return new TextScore(score.logProbability(), score.logProbabilities().length, bytes, sparsity, sinkMass);
    }

    /** {@code exp(-logProb / pieces)}; null for no pieces. */
    public Double perplexity() {
        return pieces == 0 ? null : Math.exp(-logProb / pieces);
    }

    /** Total negative log-likelihood in bits per UTF-8 byte (tokenizer-independent); null for no bytes. */
    public Double bitsPerByte() {
        return bytes == 0 ? null : -logProb / Math.log(2) / bytes;
    }

    private static Double definedOrNull(double v) {
        return Double.isNaN(v) ? null : v;
    }
}

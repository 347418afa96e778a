package dev.lazyattention.eval;

/**
 * One token sequence to score: {@code tokens[t]} is scored for every {@code t >= firstTarget} given all
 * tokens before it. {@code tokens[0]} is never scored (nothing precedes it); put the end-of-text id there
 * to score a text from its first token.
 */
public record ScoringRequest(int[] tokens, int firstTarget) {

    public ScoringRequest {
        if (tokens == null || tokens.length < 1) {
            throw new IllegalArgumentException("a scoring request needs at least one token");
        }
        if (firstTarget < 1 || firstTarget > tokens.length) {
            throw new IllegalArgumentException(
                    "firstTarget must be in [1, " + tokens.length + "], got " + firstTarget);
        }
    }

    /** Number of scored tokens. */
    public int targets() {
        return tokens.length - firstTarget;
    }
}

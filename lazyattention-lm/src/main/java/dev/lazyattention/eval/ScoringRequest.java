package dev.lazyattention.eval;

/**
 * One token sequence to score: {@code tokens[t]} is scored for every {@code t >= firstTarget} given all
 * tokens before it. {@code tokens[0]} is never scored (nothing precedes it); to score a text from its first
 * token, give it after the end-of-text boundary ({@code BpeTokenizer.afterEndOfText}).
 *
 * <p>Optional: {@code segments} gives each token position a segment number (for example the sentence it
 * belongs to) so that attention diagnostics are also kept per segment; {@code predictAfter} lists token
 * positions after which the most likely next tokens are wanted (default: after the last token).
 *
 * @param tokens token ids
 * @param firstTarget first scored position, in [1, tokens.length]
 * @param segments per position a segment number >= 0 (or -1 for none), or null
 * @param predictAfter positions in [firstTarget - 1, tokens.length) after which to predict, or null
 */
public record ScoringRequest(int[] tokens, int firstTarget, int[] segments, int[] predictAfter) {

    public ScoringRequest {
        if (tokens == null || tokens.length < 1) {
            throw new IllegalArgumentException("a scoring request needs at least one token");
        }
        if (firstTarget < 1 || firstTarget > tokens.length) {
            throw new IllegalArgumentException(
                    "firstTarget must be in [1, " + tokens.length + "], got " + firstTarget);
        }
        if (segments != null && segments.length != tokens.length) {
            throw new IllegalArgumentException(
                    "segments has " + segments.length + " entries for " + tokens.length + " tokens");
        }
        if (predictAfter != null) {
            for (int p : predictAfter) {
                if (p < firstTarget - 1 || p >= tokens.length) {
                    throw new IllegalArgumentException("predictAfter position " + p + " is outside ["
                            + (firstTarget - 1) + ", " + tokens.length + ")");
                }
            }
        }
    }

    public ScoringRequest(int[] tokens, int firstTarget) {
        this(tokens, firstTarget, null, null);
    }

    /** Number of scored tokens. */
    public int targets() {
        return tokens.length - firstTarget;
    }

    /** Number of segments (one more than the largest segment number), 0 without segments. */
    public int segmentCount() {
        int max = -1;
        if (segments != null) {
            for (int s : segments) {
                max = Math.max(max, s);
            }
        }
        return max + 1;
    }

    /** Positions after which predictions are made. */
    int[] predictionPositions() {
        return predictAfter != null ? predictAfter : new int[] {tokens.length - 1};
    }
}

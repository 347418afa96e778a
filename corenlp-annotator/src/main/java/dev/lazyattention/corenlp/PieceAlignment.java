package dev.lazyattention.corenlp;

/**
 * Shares the log-probabilities of the model's sub-word pieces among CoreNLP tokens by character overlap.
 *
 * <p>Token spans tile the text: a token owns the whitespace before it (from the end of the previous token)
 * up to its own end. A piece's log-probability goes to the tokens its characters fall in, in proportion
 * to the characters each one holds; a piece inside one token goes to it whole. The shares of a piece add
 * up to the piece, so the token values of a sentence add up to the sentence's log-probability. (A piece
 * such as {@code "don"} in {@code "don't"}, which CoreNLP splits as {@code do} + {@code n't}, is shared
 * two thirds and one third.)
 */
final class PieceAlignment {

    private PieceAlignment() {}

    /**
     * @param pieceStart start character of each piece
     * @param pieceEnd end character (exclusive) of each piece
     * @param logProbs log-probability of each piece
     * @param tokenStart start of each token's span (the end of the previous token, or the region start)
     * @param tokenEnd end of each token's span
     * @param pieceCounts out: per token, the number of pieces that touch it
     * @return per token, the sum of its shares
     */
    static double[] share(int[] pieceStart, int[] pieceEnd, double[] logProbs, int[] tokenStart, int[] tokenEnd,
            int[] pieceCounts) {
        double[] values = new double[tokenStart.length];
        int first = 0; // spans are sorted: the first token that can still overlap a piece
        for (int p = 0; p < logProbs.length; p++) {
            int a = pieceStart[p];
            int b = pieceEnd[p];
            int width = Math.max(1, b - a);
            while (first < tokenEnd.length && tokenEnd[first] <= a) {
                first++;
            }
            for (int k = first; k < tokenStart.length && tokenStart[k] < b; k++) {
                int overlap = Math.min(b, tokenEnd[k]) - Math.max(a, tokenStart[k]);
                if (overlap > 0) {
                    values[k] += logProbs[p] * overlap / width;
                    if (pieceCounts != null) {
                        pieceCounts[k]++;
                    }
                }
            }
        }
        return values;
    }
}

package dev.lazyattention.eval;

/**
 * A predicted next token.
 *
 * @param id token id
 * @param text the token's text (its bytes decoded as UTF-8, partial characters replaced)
 * @param probability its probability
 */
public record TokenPrediction(int id, String text, double probability) {}

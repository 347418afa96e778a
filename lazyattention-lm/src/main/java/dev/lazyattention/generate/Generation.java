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
 */
public record Generation(int[] promptIds, int[] ids, String text, List<float[]> logits, int slides) {}

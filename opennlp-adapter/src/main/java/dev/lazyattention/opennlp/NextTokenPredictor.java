package dev.lazyattention.opennlp;

import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.eval.TokenPrediction;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.tokenizer.BpeTokenizer;
import opennlp.tools.util.Span;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Predicts the next whole OpenNLP token after a text by greedy decoding of the model's sub-word pieces.
 *
 * <p>The first piece is the most likely of the {@value #CANDIDATES} most likely pieces that starts a new
 * token, i.e. that does not glue onto the text's last token under the {@link DetokenizationRule} (after
 * "The laz", "y" would continue the word "laz" that the caller already gave as whole). If none of them
 * does, or the most likely such piece is {@code <|endoftext|>}, there is no next token. After that, the
 * most likely piece is taken each time until the first new token is complete, meaning the rule's split
 * shows something after it (a space, or punctuation under {@code SimpleTokenizer}), or the model predicts
 * {@code <|endoftext|>}, or {@value #MAX_PIECES} pieces were decoded (a longer token is returned cut).
 */
final class NextTokenPredictor {

    /** Pieces considered for the first step. */
    static final int CANDIDATES = 64;
    /** Most pieces decoded for one token. */
    static final int MAX_PIECES = 16;

    private final LazyLanguageModel lm;
    private final SequenceScorer scorer;
    private final DetokenizationRule rule;

    NextTokenPredictor(LazyLanguageModel lm, ScoringOptions options, DetokenizationRule rule) {
        this.lm = lm;
        this.scorer = new SequenceScorer(lm, options.withAttentionStats(false)
                .withTopK(Math.min(CANDIDATES, lm.config().vocabSize())));
        this.rule = rule;
    }

    /** The next token after {@code prefix} (which follows a document boundary), or none. */
    String[] predict(String prefix) {
        BpeTokenizer tokenizer = lm.tokenizer();
        int eos = tokenizer.endOfTextId();
        int[] prompt = tokenizer.encode(prefix);
        int length = 1 + prompt.length;
        int[] ids = Arrays.copyOf(tokenizer.afterEndOfText(prompt), length + MAX_PIECES);
        for (int step = 0; step < MAX_PIECES; step++) {
            List<TokenPrediction> next = scorer.score(new ScoringRequest(Arrays.copyOf(ids, length), length)).nextTokens();
            int chosen = step == 0 ? firstPiece(prefix, next, eos) : next.get(0).id();
            if (chosen < 0 || chosen == eos) {
                break;
            }
            ids[length++] = chosen;
            String full = prefix + completeText(tokenizer.decodeBytes(Arrays.copyOfRange(ids, 1 + prompt.length, length)));
            Span first = firstNewSpan(full, prefix.length());
            if (first != null && first.getEnd() < full.length()) {
                return new String[] {first.getCoveredText(full).toString()};
            }
        }
        String full = prefix + completeText(tokenizer.decodeBytes(Arrays.copyOfRange(ids, 1 + prompt.length, length)));
        Span first = firstNewSpan(full, prefix.length());
        return first == null ? new String[0] : new String[] {first.getCoveredText(full).toString()};
    }

    private int firstPiece(String prefix, List<TokenPrediction> candidates, int eos) {
        for (TokenPrediction candidate : candidates) {
            if (candidate.id() == eos || startsNewToken(prefix, candidate.text())) {
                return candidate.id();
            }
        }
        return -1;
    }

    /** Whether {@code piece} after {@code prefix} leaves the prefix's tokens as they are. */
    private boolean startsNewToken(String prefix, String piece) {
        if (prefix.isEmpty()) {
            return true;
        }
        int boundary = prefix.length();
        for (Span span : rule.split(prefix + piece)) {
            if (span.getStart() < boundary && span.getEnd() > boundary) {
                return false;
            }
        }
        return true;
    }

    private Span firstNewSpan(String full, int from) {
        for (Span span : rule.split(full)) {
            if (span.getStart() >= from) {
                return span;
            }
        }
        return null;
    }

    /** The text of {@code bytes} without a character whose last bytes have not been decoded yet. */
    static String completeText(byte[] bytes) {
        int end = bytes.length;
        int i = end - 1;
        int continuation = 0;
        while (i >= 0 && (bytes[i] & 0xC0) == 0x80 && continuation < 3) {
            i--;
            continuation++;
        }
        if (i >= 0) {
            int lead = bytes[i] & 0xFF;
            int needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (end - i < needed) {
                end = i;
            }
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }
}

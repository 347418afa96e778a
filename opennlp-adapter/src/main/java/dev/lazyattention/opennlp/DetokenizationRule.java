package dev.lazyattention.opennlp;

import opennlp.tools.tokenize.Detokenizer;
import opennlp.tools.tokenize.SimpleTokenizer;
import opennlp.tools.tokenize.Tokenizer;
import opennlp.tools.tokenize.WhitespaceTokenizer;
import opennlp.tools.util.Span;

import java.util.ArrayList;
import java.util.List;

/**
 * How OpenNLP tokens and text relate for {@link LazyAttentionLanguageModel}: the model reads text, so
 * tokens are first joined into text, and a predicted continuation is cut back into tokens.
 *
 * <ul>
 * <li>{@link #whitespace()} (the default): tokens are joined with one space; text is split at whitespace,
 *     as {@link WhitespaceTokenizer} does. Text tokenized by {@code WhitespaceTokenizer} is recovered
 *     exactly when its words were separated by single spaces.</li>
 * <li>{@link #detokenizer(Detokenizer)}: tokens are joined by an OpenNLP {@link Detokenizer} (for example a
 *     {@code DictionaryDetokenizer} that attaches punctuation to the word before it); text is split as
 *     {@link SimpleTokenizer} does (at whitespace and where letters, digits and other characters meet).
 *     Text tokenized by {@code SimpleTokenizer} is recovered exactly when the detokenizer's dictionary
 *     puts every space back where it was (for example "dog," and "agree." with {@code ,} and {@code .}
 *     moved left).</li>
 * </ul>
 *
 * <p>Empty-string tokens carry no text and are dropped before joining. Immutable and thread-safe (OpenNLP's
 * detokenizers and tokenizers are).
 */
public final class DetokenizationRule {

    private static final DetokenizationRule WHITESPACE = new DetokenizationRule(null, WhitespaceTokenizer.INSTANCE);

    private final Detokenizer detokenizer;
    private final Tokenizer splitter;

    private DetokenizationRule(Detokenizer detokenizer, Tokenizer splitter) {
        this.detokenizer = detokenizer;
        this.splitter = splitter;
    }

    /** Tokens joined with single spaces; text split at whitespace. */
    public static DetokenizationRule whitespace() {
        return WHITESPACE;
    }

    /**
     * Tokens joined by {@code detokenizer}; text split by {@link SimpleTokenizer}.
     *
     * @throws IllegalArgumentException if {@code detokenizer} is null
     */
    public static DetokenizationRule detokenizer(Detokenizer detokenizer) {
        if (detokenizer == null) {
            throw new IllegalArgumentException("detokenizer must not be null; use DetokenizationRule.whitespace()");
        }
        return new DetokenizationRule(detokenizer, SimpleTokenizer.INSTANCE);
    }

    /**
     * Any pairing: tokens joined by {@code detokenizer} (single spaces when null), text split by {@code
     * splitter}. The two should agree: splitting joined tokens should give the tokens back.
     *
     * @throws IllegalArgumentException if {@code splitter} is null
     */
    public static DetokenizationRule of(Detokenizer detokenizer, Tokenizer splitter) {
        if (splitter == null) {
            throw new IllegalArgumentException("splitter must not be null");
        }
        return new DetokenizationRule(detokenizer, splitter);
    }

    /**
     * The text of {@code tokens}.
     *
     * @throws IllegalArgumentException if {@code tokens} or one of them is null
     */
    public String join(String... tokens) {
        if (tokens == null) {
            throw new IllegalArgumentException("tokens must not be null");
        }
        List<String> kept = new ArrayList<>(tokens.length);
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == null) {
                throw new IllegalArgumentException("token " + i + " is null");
            }
            if (!tokens[i].isEmpty()) {
                kept.add(tokens[i]);
            }
        }
        if (kept.isEmpty()) {
            return "";
        }
        String[] array = kept.toArray(new String[0]);
        return detokenizer == null ? String.join(" ", array) : detokenizer.detokenize(array, null);
    }

    /** Where the tokens of {@code text} are. */
    public Span[] split(String text) {
        return splitter.tokenizePos(text);
    }

    @Override
    public String toString() {
        return detokenizer == null && splitter == WhitespaceTokenizer.INSTANCE ? "whitespace"
                : (detokenizer == null ? "spaces" : detokenizer.getClass().getSimpleName()) + " + "
                        + splitter.getClass().getSimpleName();
    }
}

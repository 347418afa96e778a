package dev.lazyattention.opennlp;

import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.lm.LazyLanguageModel;
import opennlp.tools.languagemodel.LanguageModel;
import opennlp.tools.tokenize.Detokenizer;
import opennlp.tools.util.StringList;

import java.io.IOException;

/**
 * OpenNLP's {@link LanguageModel} over a Lazy Attention model.
 *
 * <p><b>Tokens and text.</b> The model reads text, not OpenNLP tokens: the tokens are joined into text by a
 * {@link DetokenizationRule} (single spaces by default, or an OpenNLP {@link Detokenizer}), and that text is
 * scored from its first character as the start of a document, following {@code <|endoftext|>}, as the model
 * was trained. Texts longer than the model's context are scored in sliding windows ({@link SequenceScorer}),
 * so nothing is truncated and every sub-word piece is scored once.
 *
 * <p><b>Use {@link #logProbability}.</b> {@link #calculateProbability} is {@code exp(logProbability)},
 * computed in log space, but a probability of a few dozen tokens is already below the smallest double
 * (about {@code e^-745}) for many texts and comes out as 0. Compare texts by their log-probabilities.
 *
 * <p><b>Input rules.</b> A null array, a null {@link StringList} or a null token throws {@link
 * IllegalArgumentException}. No tokens (or only empty strings) is the empty text: log-probability 0,
 * probability 1, and {@link #predictNextTokens} gives the likely first token of a document. Words and
 * characters the model never saw in training need no special handling: the byte-level tokenizer spells
 * any text, so they get a finite, low log-probability. After the model is closed, scoring and prediction
 * throw {@link IllegalStateException}.
 *
 * <p>Thread-safe: calls hold no state and may run at once.
 */
public final class LazyAttentionLanguageModel implements LanguageModel {

    private final LazyLanguageModel lm;
    private final DetokenizationRule rule;
    private final SequenceScorer scorer;
    private final NextTokenPredictor predictor;

    /** Over {@code model}, joining tokens with single spaces. */
    public LazyAttentionLanguageModel(LazyAttentionModel model) throws IOException {
        this(model, DetokenizationRule.whitespace());
    }

    /** Over {@code model}, joining tokens with {@code detokenizer} (single spaces when null). */
    public LazyAttentionLanguageModel(LazyAttentionModel model, Detokenizer detokenizer) throws IOException {
        this(model, detokenizer == null ? DetokenizationRule.whitespace() : DetokenizationRule.detokenizer(detokenizer));
    }

    /** Over {@code model} with the given rule. */
    public LazyAttentionLanguageModel(LazyAttentionModel model, DetokenizationRule rule) throws IOException {
        this(languageModelOf(model), rule, null);
    }

    /**
     * Over a model in memory.
     *
     * @param rule how tokens become text; null for single spaces
     * @param options windows and batching of the scorer; null for windows of the context length, stride half
     *     of it
     */
    public LazyAttentionLanguageModel(LazyLanguageModel lm, DetokenizationRule rule, ScoringOptions options) {
        if (lm == null) {
            throw new IllegalArgumentException("the language model must not be null");
        }
        this.lm = lm;
        this.rule = rule == null ? DetokenizationRule.whitespace() : rule;
        ScoringOptions o = options == null ? ScoringOptions.defaults(lm.config().contextLength()) : options;
        this.scorer = new SequenceScorer(lm, o.withAttentionStats(false).withTopK(0));
        this.predictor = new NextTokenPredictor(lm, o, this.rule);
    }

    private static LazyLanguageModel languageModelOf(LazyAttentionModel model) throws IOException {
        if (model == null) {
            throw new IllegalArgumentException("the model must not be null");
        }
        return model.languageModel();
    }

    /**
     * The probability of the tokens' text, {@code exp(logProbability(tokens))}: 0 after underflow for long
     * texts (see the class comment).
     */
    @Override
    public double calculateProbability(String... tokens) {
        return Math.exp(logProbability(tokens));
    }

    /** As {@link #calculateProbability(String...)}. */
    public double calculateProbability(StringList tokens) {
        return Math.exp(logProbability(tokens));
    }

    /**
     * The natural log of the probability of the tokens' text: the sum of the log-probabilities of its
     * sub-word pieces, the first one predicted from {@code <|endoftext|>}.
     *
     * @throws IllegalArgumentException if {@code tokens} or a token is null
     */
    public double logProbability(String... tokens) {
        return textLogProbability(rule.join(tokens));
    }

    /** As {@link #logProbability(String...)}. */
    public double logProbability(StringList tokens) {
        return logProbability(toArray(tokens));
    }

    /**
     * The natural log of the probability of {@code text} as a document start: what {@link
     * #logProbability(String...)} computes for the text the rule joins.
     *
     * @throws IllegalArgumentException if {@code text} is null
     */
    public double textLogProbability(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null");
        }
        if (text.isEmpty()) {
            return 0;
        }
        int[] tokens = lm.tokenizer().afterEndOfText(lm.tokenizer().encode(text));
        return scorer.score(new ScoringRequest(tokens, 1)).logProbability();
    }

    /**
     * The most likely next token after the tokens' text: one OpenNLP token (as the rule splits text), or
     * none when the model expects the document to end. Sub-word pieces are decoded greedily until the
     * token is complete; see {@link NextTokenPredictor} for the exact rule.
     *
     * @throws IllegalArgumentException if {@code tokens} or a token is null
     */
    @Override
    public String[] predictNextTokens(String... tokens) {
        return predictor.predict(rule.join(tokens));
    }

    /** As {@link #predictNextTokens(String...)}. */
    public String[] predictNextTokens(StringList tokens) {
        return predictNextTokens(toArray(tokens));
    }

    /** How tokens become text. */
    public DetokenizationRule rule() {
        return rule;
    }

    /** The underlying model. */
    public LazyLanguageModel model() {
        return lm;
    }

    private static String[] toArray(StringList tokens) {
        if (tokens == null) {
            throw new IllegalArgumentException("tokens must not be null");
        }
        String[] array = new String[tokens.size()];
        for (int i = 0; i < array.length; i++) {
            array[i] = tokens.getToken(i);
        }
        return array;
    }
}

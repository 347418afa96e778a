package dev.lazyattention.opennlp;

import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.eval.TokenPrediction;
import dev.lazyattention.generate.GenerationOptions;
import dev.lazyattention.generate.Generator;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.SyntheticCorpus;
import opennlp.tools.tokenize.DetokenizationDictionary;
import opennlp.tools.tokenize.DictionaryDetokenizer;
import opennlp.tools.tokenize.SimpleTokenizer;
import opennlp.tools.tokenize.WhitespaceTokenizer;
import opennlp.tools.util.StringList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LazyAttentionLanguageModelTest {

    /** Every word of the synthetic grammar. */
    private static final Set<String> WORDS = Set.of("The", "the", "quick", "lazy", "small", "bright", "quiet", "old",
            "green", "happy", "fox", "dog", "cat", "bird", "child", "farmer", "river", "garden", "house", "sees",
            "likes", "follows", "finds", "watches", "helps", "visits", "in", "near", "after", "on", "at", "morning",
            "dinner", "Sunday", "night", "and", "agree");

    private static LazyAttentionModel model;
    private static LazyAttentionLanguageModel lm;
    private static LazyLanguageModel reference;

    @BeforeAll
    static void load() throws IOException {
        model = new LazyAttentionModel(TestModels.trainedFile());
        lm = new LazyAttentionLanguageModel(model);
        reference = TestModels.trainedByBlock();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void logProbabilityIsTheBlocksScoreOfTheJoinedText() {
        String[] tokens = {"The", "lazy", "fox", "sees", "the", "dog."};
        double expected = TestModels.referenceLogProbability(reference, "The lazy fox sees the dog.");
        assertEquals(expected, lm.logProbability(tokens), 1e-4);
        assertEquals(expected, lm.logProbability(new StringList(tokens)), 1e-4);
        assertEquals(Math.exp(expected), lm.calculateProbability(tokens), Math.exp(expected) * 1e-4);
        assertEquals(Math.exp(expected), lm.calculateProbability(new StringList(tokens)), Math.exp(expected) * 1e-4);
        assertTrue(expected < 0);
    }

    @Test
    void theFirstTokenIsScoredFromEndOfText() {
        // Independent of the scorer: one forward pass over [eos, first piece] gives the first piece's score.
        String[] tokens = {"The"};
        int[] ids = reference.tokenizer().encode("The");
        assertEquals(1, ids.length, "the synthetic tokenizer has 'The' as one piece");
        SequenceScorer scorer = new SequenceScorer(reference, ScoringOptions.defaults(32).withTopK(reference.config().vocabSize()));
        double fromEos = scorer.score(new ScoringRequest(new int[] {reference.tokenizer().endOfTextId()}, 1))
                .nextTokens().stream().filter(p -> p.id() == ids[0]).findFirst().orElseThrow().probability();
        assertEquals(Math.log(fromEos), lm.logProbability(tokens), 1e-4);
    }

    @Test
    void longTextsAreScoredWholeInSlidingWindows() {
        String text = String.join(" ", SyntheticCorpus.documents(4, 21));
        String[] tokens = WhitespaceTokenizer.INSTANCE.tokenize(text);
        int pieces = reference.tokenizer().encode(text).length;
        assertTrue(pieces > 3 * reference.config().contextLength(), "longer than several windows: " + pieces);
        double windowed = lm.logProbability(tokens);
        assertEquals(TestModels.referenceLogProbability(reference, text), windowed, 1e-3);

        // Nothing is truncated: the pieces after the first window add to the score.
        double firstWindowOnly = new SequenceScorer(reference, ScoringOptions.defaults(32))
                .score(new ScoringRequest(Arrays.copyOf(withEos(text), 32), 1)).logProbability();
        assertTrue(windowed < firstWindowOnly * 2, windowed + " vs first window " + firstWindowOnly);
    }

    @Test
    void probabilitiesUnderflowWhereLogProbabilitiesDoNot() {
        String text = "Zyxqv 日本語 🙂 ~~ qq ".repeat(25);
        String[] tokens = WhitespaceTokenizer.INSTANCE.tokenize(text);
        double log = lm.logProbability(tokens);
        assertTrue(log < -745, "long enough to underflow: " + log);
        assertTrue(Double.isFinite(log));
        assertEquals(0.0, lm.calculateProbability(tokens));
    }

    @Test
    void emptyInputIsTheEmptyTextAndNullIsRefused() {
        assertEquals(0.0, lm.logProbability());
        assertEquals(1.0, lm.calculateProbability());
        assertEquals(0.0, lm.logProbability("", ""));
        assertEquals(lm.logProbability("The", "fox"), lm.logProbability("", "The", "", "fox"), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> lm.logProbability((String[]) null));
        assertThrows(IllegalArgumentException.class, () -> lm.calculateProbability((String[]) null));
        assertThrows(IllegalArgumentException.class, () -> lm.logProbability((StringList) null));
        assertThrows(IllegalArgumentException.class, () -> lm.predictNextTokens((String[]) null));
        assertThrows(IllegalArgumentException.class, () -> lm.predictNextTokens((StringList) null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lm.logProbability("The", null));
        assertTrue(e.getMessage().contains("token 1"), e.getMessage());
    }

    @Test
    void unknownWordsAndUnseenCharactersGetAFiniteLowScore() {
        String[] unseen = {"Zyxqv", "日本語", "🙂", "\u0007"};
        double log = lm.logProbability(unseen);
        assertTrue(Double.isFinite(log) && log < 0, "finite: " + log);
        assertEquals(TestModels.referenceLogProbability(reference, String.join(" ", unseen)), log, 1e-4);
        double seen = lm.logProbability("The", "lazy", "fox", "sees");
        assertTrue(log < seen - 10, "unseen " + log + " vs seen " + seen);
        String[] next = lm.predictNextTokens(unseen);
        assertTrue(next.length <= 1);
    }

    @Test
    void theNextTokenIsTheGreedyContinuationCutAtWhitespace() {
        for (String[] tokens : new String[][] {{"The", "lazy"}, {"The", "quick", "fox", "sees", "the"}, {}}) {
            String text = String.join(" ", tokens);
            String continuation = greedyContinuation(text);
            assertTrue(text.isEmpty() || Character.isWhitespace(continuation.charAt(0)),
                    "precondition: the model starts a new word after '" + text + "', got '" + continuation + "'");
            String[] words = WhitespaceTokenizer.INSTANCE.tokenize(continuation);
            assertTrue(words.length >= 2, "precondition: the continuation holds a whole word: " + continuation);
            String[] predicted = lm.predictNextTokens(tokens);
            assertArrayEquals(new String[] {words[0]}, predicted, "after '" + text + "'");
            assertArrayEquals(predicted, lm.predictNextTokens(text.isEmpty() ? new StringList("") : new StringList(tokens)));
        }
        assertTrue(WORDS.contains(lm.predictNextTokens("The", "lazy")[0]));
    }

    @Test
    void withADetokenizerTheNextTokenStopsAtPunctuation() throws IOException {
        LazyAttentionLanguageModel detokenized = new LazyAttentionLanguageModel(model, new DictionaryDetokenizer(
                new DetokenizationDictionary(new String[] {".", ","}, new DetokenizationDictionary.Operation[] {
                    DetokenizationDictionary.Operation.MOVE_LEFT, DetokenizationDictionary.Operation.MOVE_LEFT})));
        String[] tokens = {"The", "lazy", "fox", "sees", "the", "dog", "near", "the", "river"};
        String text = "The lazy fox sees the dog near the river";
        assertEquals(text, detokenized.rule().join(tokens));
        String continuation = greedyContinuation(text);
        String[] pieces = SimpleTokenizer.INSTANCE.tokenize(continuation);
        assertTrue(pieces.length >= 2, "precondition: " + continuation);
        assertArrayEquals(new String[] {pieces[0]}, detokenized.predictNextTokens(tokens), "continuation " + continuation);
    }

    @Test
    void aPieceThatWouldGlueOntoTheLastTokenIsNotPredicted() throws IOException {
        // After a finished clause the model's favourite is "." (or ","), which under whitespace joining would
        // extend the last token ("dog."): the prediction is then the best continuation that starts a new token.
        String[] tokens = null;
        String continuation = null;
        for (String[] candidate : new String[][] {{"The", "lazy", "fox", "sees", "the", "dog"},
                {"The", "old", "cat", "finds", "the", "bird"}, {"The", "small", "child", "helps", "the", "farmer"}}) {
            String c = greedyContinuation(String.join(" ", candidate));
            if (!c.isEmpty() && !Character.isWhitespace(c.charAt(0))) {
                tokens = candidate;
                continuation = c;
                break;
            }
        }
        assertTrue(tokens != null, "precondition: greedy decoding glues a piece onto one of the clauses");
        String text = String.join(" ", tokens);

        // Independent expectation: the most likely piece that starts with whitespace, then the generator.
        int eos = reference.tokenizer().endOfTextId();
        int[] context = withEos(text);
        List<TokenPrediction> ranked = new SequenceScorer(reference, ScoringOptions.defaults(32)
                .withTopK(reference.config().vocabSize())).score(new ScoringRequest(context, context.length)).nextTokens();
        TokenPrediction first = ranked.stream()
                .filter(p -> p.id() == eos || (!p.text().isEmpty() && Character.isWhitespace(p.text().charAt(0))))
                .findFirst().orElseThrow();
        assertTrue(first.id() != eos, "precondition: the model does not expect the text to end");
        int[] prompt = Arrays.copyOfRange(context, 1, context.length + 1);
        prompt[prompt.length - 1] = first.id();
        String expected = WhitespaceTokenizer.INSTANCE.tokenize(first.text()
                + new Generator(reference).generate(prompt, GenerationOptions.greedy(12)).text())[0];

        String[] predicted = lm.predictNextTokens(tokens);
        assertArrayEquals(new String[] {expected}, predicted, "greedy continuation was '" + continuation + "'");

        // Under SimpleTokenizer splitting the glued piece is a token of its own.
        LazyAttentionLanguageModel simple = new LazyAttentionLanguageModel(model,
                DetokenizationRule.of(null, SimpleTokenizer.INSTANCE));
        assertArrayEquals(new String[] {SimpleTokenizer.INSTANCE.tokenize(continuation)[0]}, simple.predictNextTokens(tokens));
    }

    @Test
    @SuppressWarnings("try") // closing inside the block is what is tested
    void aClosedModelIsRefused() throws IOException {
        try (LazyAttentionModel own = new LazyAttentionModel(TestModels.trainedFile())) {
            LazyAttentionLanguageModel closing = new LazyAttentionLanguageModel(own);
            assertTrue(closing.logProbability("The") < 0);
            own.close();
            assertThrows(IllegalStateException.class, () -> closing.logProbability("The"));
            assertThrows(IllegalStateException.class, () -> closing.predictNextTokens("The"));
        }
    }

    /** Greedy decoding by the block's generator (KV cache), independent of the predictor. */
    private static String greedyContinuation(String text) {
        Generator generator = new Generator(reference);
        int[] prompt = reference.tokenizer().encode(text);
        return generator.generate(prompt, GenerationOptions.greedy(12)).text();
    }

    private static int[] withEos(String text) {
        int[] ids = reference.tokenizer().encode(text);
        int[] tokens = new int[ids.length + 1];
        tokens[0] = reference.tokenizer().endOfTextId();
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        return tokens;
    }
}

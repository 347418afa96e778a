package dev.lazyattention.opennlp;

import dev.lazyattention.lm.LazyLanguageModel;
import opennlp.tools.tokenize.DetokenizationDictionary;
import opennlp.tools.tokenize.DetokenizationDictionary.Operation;
import opennlp.tools.tokenize.DictionaryDetokenizer;
import opennlp.tools.tokenize.SimpleTokenizer;
import opennlp.tools.tokenize.WhitespaceTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Text tokenized by OpenNLP's tokenizers scores as the raw text does wherever the rule recovers the text
 * from the tokens: {@code WhitespaceTokenizer} with whitespace joining when words are separated by single
 * spaces, {@code SimpleTokenizer} with a dictionary detokenizer that attaches {@code ,} and {@code .} to the
 * word before them.
 */
class OpenNlpTokenizersTest {

    private static final String SINGLE_SPACED = "The quick fox sees the bird near the river. The old cat likes the dog, "
            + "and 3 dogs agree.";

    private static LazyAttentionModel model;
    private static LazyLanguageModel reference;

    @BeforeAll
    static void load() throws IOException {
        model = new LazyAttentionModel(TestModels.trainedFile());
        reference = TestModels.trainedByBlock();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void whitespaceTokensOfSingleSpacedTextScoreAsTheText() throws IOException {
        LazyAttentionLanguageModel lm = new LazyAttentionLanguageModel(model);
        String[] tokens = WhitespaceTokenizer.INSTANCE.tokenize(SINGLE_SPACED);
        assertEquals(SINGLE_SPACED, lm.rule().join(tokens));
        assertEquals(TestModels.referenceLogProbability(reference, SINGLE_SPACED), lm.logProbability(tokens), 1e-4);
    }

    @Test
    void whitespaceJoiningCannotRecoverOtherSpacing() throws IOException {
        LazyAttentionLanguageModel lm = new LazyAttentionLanguageModel(model);
        String spaced = "The quick  fox\nsees the bird.";
        String[] tokens = WhitespaceTokenizer.INSTANCE.tokenize(spaced);
        assertEquals("The quick fox sees the bird.", lm.rule().join(tokens));
        assertEquals(TestModels.referenceLogProbability(reference, "The quick fox sees the bird."), lm.logProbability(tokens), 1e-4);
        assertNotEquals(TestModels.referenceLogProbability(reference, spaced), lm.logProbability(tokens), 1e-2);
    }

    @Test
    void simpleTokensWithADictionaryDetokenizerScoreAsTheText() throws IOException {
        DictionaryDetokenizer detokenizer = new DictionaryDetokenizer(new DetokenizationDictionary(
                new String[] {".", ","}, new Operation[] {Operation.MOVE_LEFT, Operation.MOVE_LEFT}));
        LazyAttentionLanguageModel lm = new LazyAttentionLanguageModel(model, detokenizer);
        String[] tokens = SimpleTokenizer.INSTANCE.tokenize(SINGLE_SPACED);
        assertArrayEquals(new String[] {"The", "quick", "fox", "sees", "the", "bird", "near", "the", "river", ".", "The",
            "old", "cat", "likes", "the", "dog", ",", "and", "3", "dogs", "agree", "."}, tokens);
        assertEquals(SINGLE_SPACED, lm.rule().join(tokens));
        assertEquals(TestModels.referenceLogProbability(reference, SINGLE_SPACED), lm.logProbability(tokens), 1e-4);
    }

    @Test
    void simpleTokensJoinedWithSpacesAreAnotherText() throws IOException {
        LazyAttentionLanguageModel lm = new LazyAttentionLanguageModel(model);
        String[] tokens = SimpleTokenizer.INSTANCE.tokenize(SINGLE_SPACED);
        String joined = lm.rule().join(tokens);
        assertTrue(joined.contains("dog , and"), joined);
        assertEquals(TestModels.referenceLogProbability(reference, joined), lm.logProbability(tokens), 1e-4);
        assertNotEquals(TestModels.referenceLogProbability(reference, SINGLE_SPACED), lm.logProbability(tokens), 1e-2);
    }
}

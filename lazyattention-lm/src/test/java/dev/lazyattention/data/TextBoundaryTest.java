package dev.lazyattention.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.eval.CorpusEvaluator;
import dev.lazyattention.eval.EvalResult;
import dev.lazyattention.eval.MultipleChoice;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.generate.GenerationOptions;
import dev.lazyattention.generate.Generator;
import dev.lazyattention.serving.LazyLmCriteria;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.tokenizer.BpeTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end-of-text boundary before a text has one source, {@link BpeTokenizer#afterEndOfText}: it is {@code
 * <|endoftext|>} then the pieces (written out here by hand), and every caller in this module gives the model
 * exactly those ids. Callers that keep the ids to themselves are checked through what they report: each
 * one scores the text's first piece, and its log-probabilities equal the scorer's over the hand-built ids
 * (to what another batch layout allows). The OpenNLP next-token predictor and the CLI's attention maps are
 * in other modules; the former is checked against the generator there.
 */
class TextBoundaryTest {

    private static final List<String> TEXTS = List.of("The small cat watches the garden.",
            "A text that names <|endoftext|> itself, as plain text.", "", "4 dogs agree");

    private static int[] byHand(BpeTokenizer tokenizer, int[] ids) {
        int[] tokens = new int[ids.length + 1];
        tokens[0] = tokenizer.endOfTextId();
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        return tokens;
    }

    @Test
    void theBoundaryIsOneEndOfTextBeforeThePieces() {
        BpeTokenizer tokenizer = TinyModels.tokenizer();
        for (String text : TEXTS) {
            int[] ids = tokenizer.encode(text);
            int[] copy = ids.clone();
            int[] tokens = tokenizer.afterEndOfText(ids);
            assertArrayEquals(byHand(tokenizer, copy), tokens, text);
            assertArrayEquals(copy, ids, "the ids are not changed");
            assertEquals(1, Arrays.stream(tokens).filter(id -> id == tokenizer.endOfTextId()).count(),
                    "text that spells <|endoftext|> is not the boundary: " + text);
        }
    }

    @Test
    void theTrainingStreamIsEveryDocumentAfterItsBoundary() {
        BpeTokenizer tokenizer = TinyModels.tokenizer();
        TextCorpus corpus = TextCorpus.of(TEXTS, "texts");
        List<Integer> expected = new ArrayList<>();
        for (String document : corpus.documents()) {
            for (int id : byHand(tokenizer, tokenizer.encode(document))) {
                expected.add(id);
            }
        }
        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), corpus.tokens(tokenizer));
    }

    @Test
    void everyScoringCallerScoresTheTextAfterTheSameBoundary() {
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 41)) {
            BpeTokenizer tokenizer = lm.tokenizer();
            String text = "The lazy fox sees the dog near the river.";
            int[] ids = tokenizer.encode(text);
            ScoringOptions options = ScoringOptions.defaults(lm.config().contextLength());
            double[] expected = new SequenceScorer(lm, options).score(new ScoringRequest(byHand(tokenizer, ids), 1))
                    .logProbabilities();
            double total = Arrays.stream(expected).sum();

            EvalResult evaluated = new CorpusEvaluator(lm, options).evaluate(TextCorpus.of(List.of(text), "one"));
            assertEquals(ids.length, evaluated.tokens(), "CorpusEvaluator scores the first piece too");
            assertEquals(-total, evaluated.nll(), 1e-6, "CorpusEvaluator");

            double[] prompt = new Generator(lm).generate(text, GenerationOptions.greedy(1)).promptLogProbabilities();
            assertArrayEquals(expected, prompt, 1e-6, "Generator");

            // An empty context: the choice " fox ..." is the whole text after the boundary.
            String choice = text.substring(text.indexOf(' ') + 1);
            int[] continuation = tokenizer.encode(" " + choice);
            double[] alone = new SequenceScorer(lm, options)
                    .score(new ScoringRequest(byHand(tokenizer, continuation), 1)).logProbabilities();
            double choiceScore = MultipleChoice.choiceLogLikelihoods(lm,
                    List.of(new MultipleChoice.Item("", List.of(choice, "x"), 0)), options).get(0)[0];
            assertEquals(Arrays.stream(alone).sum(), choiceScore, 1e-6, "MultipleChoice");
        }
    }

    @Test
    void theDjlTranslatorScoresTheTextAfterTheSameBoundary(@TempDir Path dir) throws Exception {
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.SOFTMAX, 42)) {
            Path file = dir.resolve("m.lazylm.zip");
            lm.save(file);
            String text = "The old farmer helps the child.";
            double expected = new SequenceScorer(lm, ScoringOptions.defaults(lm.config().contextLength()))
                    .score(new ScoringRequest(byHand(lm.tokenizer(), lm.tokenizer().encode(text)), 1)).logProbability();
            try (ZooModel<String, Float> model = LazyLmCriteria.builder(file).setTypes(String.class, Float.class)
                    .optDevice(Device.cpu()).build().loadModel();
                    Predictor<String, Float> predictor = model.newPredictor()) {
                assertEquals(expected, (float) predictor.predict(text), 1e-5, "DJL translator");
            }
        }
    }
}

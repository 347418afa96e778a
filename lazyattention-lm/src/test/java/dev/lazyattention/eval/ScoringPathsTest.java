package dev.lazyattention.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.generate.Generation;
import dev.lazyattention.generate.GenerationOptions;
import dev.lazyattention.generate.Generator;
import dev.lazyattention.serving.LazyLmCriteria;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.ReferenceLm;
import dev.lazyattention.testing.SyntheticCorpus;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.train.LmTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every path that scores text gives the log-probabilities of an independent reference: {@link ReferenceLm},
 * a float64 forward pass written without DJL from the model's parameters, over the ids built here by hand
 * ({@code <|endoftext|>}, then the text's pieces). Agreement also shows that each path puts the same
 * boundary before the text. The paths: {@link SequenceScorer}, the DJL translator through {@link
 * LazyLmCriteria} ({@code Predictor<String, Float>}), {@link MultipleChoice}'s per-choice scores, the
 * generator's prompt log-probabilities and first-token distribution, {@link CorpusEvaluator} and the
 * trainer's validation loss.
 */
class ScoringPathsTest {

    /** float32 forward passes against a float64 one: per token, and per sum or mean that a path reports. */
    private static final double TOLERANCE = 1e-5;

    @TempDir
    static Path dir;

    static Path modelFile;
    static LazyLanguageModel lm;
    static ReferenceLm reference;
    static List<String> texts;

    @BeforeAll
    static void trainOnce() throws IOException {
        modelFile = TinyModels.trainedModelFile(dir.resolve("run"), AttentionVariant.LAZY, 30);
        lm = LazyLanguageModel.load(modelFile, Device.cpu());
        reference = ReferenceLm.of(lm);
        Random random = new Random(31);
        texts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            texts.add(SyntheticCorpus.sentence(random));
        }
        texts.add("The lazy fox sees the dog near the river, and 4 birds agree.");
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    /** The boundary written out: {@code <|endoftext|>}, then the pieces. */
    private static int[] byHand(int[] ids) {
        int[] tokens = new int[ids.length + 1];
        tokens[0] = lm.tokenizer().endOfTextId();
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        return tokens;
    }

    private static int[] byHand(String text) {
        return byHand(lm.tokenizer().encode(text));
    }

    private static double sum(double[] values) {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return s;
    }

    /** Asserts each value within the tolerance; returns the largest difference. */
    private static double assertClose(double[] expected, double[] actual, String what) {
        return ReferenceLm.assertClose(expected, actual, TOLERANCE, what);
    }

    private static void report(String what, double worst) {
        System.out.printf(Locale.ROOT, "%s: largest difference from the reference %.2e%n", what, worst);
    }

    @Test
    void sequenceScorerBatchedAndAlone() {
        List<ScoringRequest> requests = new ArrayList<>();
        double[] expected = new double[0];
        for (String text : texts) {
            int[] tokens = lm.tokenizer().afterEndOfText(lm.tokenizer().encode(text));
            requests.add(new ScoringRequest(tokens, 1));
            expected = concat(expected, reference.logProbabilities(byHand(text), 1));
        }
        ScoringOptions options = ScoringOptions.defaults(lm.config().contextLength());
        for (int batch : new int[] {1, 8}) {
            double[] got = new double[0];
            for (SequenceScore score : new SequenceScorer(lm, options.withBatchSize(batch)).score(requests)) {
                got = concat(got, score.logProbabilities());
            }
            report("SequenceScorer, batch " + batch, assertClose(expected, got, "SequenceScorer, batch " + batch));
        }
    }

    @Test
    void djlTranslatorThroughLazyLmCriteria() throws Exception {
        Criteria<String, Float> criteria = LazyLmCriteria.builder(modelFile)
                .setTypes(String.class, Float.class)
                .optDevice(Device.cpu())
                .build();
        double[] expected = new double[texts.size()];
        double[] got = new double[texts.size()];
        try (ZooModel<String, Float> model = criteria.loadModel();
                Predictor<String, Float> predictor = model.newPredictor()) {
            for (int i = 0; i < texts.size(); i++) {
                expected[i] = sum(reference.logProbabilities(byHand(texts.get(i)), 1));
                got[i] = predictor.predict(texts.get(i));
            }
        }
        report("DJL translator", assertClose(expected, got, "DJL translator (String -> Float), per text"));
    }

    @Test
    void multipleChoicePerChoiceScores() {
        List<MultipleChoice.Item> items = List.of(
                new MultipleChoice.Item("The small cat watches", List.of("the garden.", "a river at night.", "4"), 0),
                new MultipleChoice.Item("The old farmer helps the child", List.of("after dinner.", "and the dog."), 1));
        List<double[]> got = MultipleChoice.choiceLogLikelihoods(lm, items,
                ScoringOptions.defaults(lm.config().contextLength()).withBatchSize(3));
        double[] expected = new double[0];
        double[] flat = new double[0];
        for (int i = 0; i < items.size(); i++) {
            MultipleChoice.Item item = items.get(i);
            int[] context = lm.tokenizer().encode(item.context());
            double[] perChoice = new double[item.choices().size()];
            for (int c = 0; c < perChoice.length; c++) {
                int[] continuation = lm.tokenizer().encode(" " + item.choices().get(c));
                int[] text = Arrays.copyOf(context, context.length + continuation.length);
                System.arraycopy(continuation, 0, text, context.length, continuation.length);
                perChoice[c] = sum(reference.logProbabilities(byHand(text), 1 + context.length));
            }
            expected = concat(expected, perChoice);
            flat = concat(flat, got.get(i));
        }
        report("MultipleChoice", assertClose(expected, flat, "MultipleChoice, per choice"));
    }

    @Test
    void generatorPromptLogProbabilitiesAndFirstTokenDistribution() {
        Generator generator = new Generator(lm);
        double worstPrompt = 0;
        double worstNext = 0;
        for (String prompt : texts) {
            int[] tokens = byHand(prompt);
            double[][] logSoftmax = reference.logSoftmax(tokens);
            for (boolean cache : new boolean[] {true, false}) {
                Generation g = generator.generate(prompt, GenerationOptions.greedy(1).withStopAtEndOfText(false)
                        .withRecordedLogits(true).withCache(cache));
                worstPrompt = Math.max(worstPrompt, assertClose(reference.logProbabilities(tokens, 1),
                        g.promptLogProbabilities(), "Generator prompt, cache " + cache));
                worstNext = Math.max(worstNext, assertClose(logSoftmax[tokens.length - 1],
                        ReferenceLm.logSoftmaxOf(g.logits().get(0)), "Generator first-token distribution, cache " + cache));
            }
        }
        report("Generator prompt log-probabilities", worstPrompt);
        report("Generator first-token distribution", worstNext);
        // The scorer's whole next-token distribution at the end of a prompt agrees too, and so does the
        // generator's greedy choice.
        String prompt = texts.get(0);
        int[] tokens = lm.tokenizer().afterEndOfText(lm.tokenizer().encode(prompt));
        int vocab = lm.config().vocabSize();
        List<TokenPrediction> all = new SequenceScorer(lm, ScoringOptions.defaults(lm.config().contextLength())
                .withTopK(vocab)).score(new ScoringRequest(tokens, 1)).nextTokens();
        double[] scorer = new double[vocab];
        for (TokenPrediction p : all) {
            scorer[p.id()] = Math.log(p.probability());
        }
        double[] expected = reference.logSoftmax(byHand(prompt))[tokens.length - 1];
        report("SequenceScorer next-token distribution", assertClose(expected, scorer, "SequenceScorer next token"));
        int greedy = generator.generate(prompt, GenerationOptions.greedy(1).withStopAtEndOfText(false)).ids()[0];
        assertEquals(all.get(0).id(), greedy, "the generator's greedy token is the scorer's most likely one");
    }

    @Test
    void corpusEvaluatorAndValidationLoss() {
        TextCorpus corpus = TextCorpus.of(texts, "texts");
        ScoringOptions options = ScoringOptions.defaults(lm.config().contextLength()).withBatchSize(4);
        EvalResult result = new CorpusEvaluator(lm, options).evaluate(corpus);
        double nll = 0;
        long count = 0;
        for (String text : texts) {
            double[] lp = reference.logProbabilities(byHand(text), 1);
            nll -= sum(lp);
            count += lp.length;
        }
        assertEquals(count, result.tokens());
        report("CorpusEvaluator", assertClose(new double[] {nll / count}, new double[] {result.loss()},
                "CorpusEvaluator mean loss"));

        // Validation windows as the trainer cuts them: T + 1 tokens of the stream, T = the context length.
        int length = lm.config().contextLength();
        int[] stream = TinyModels.validCorpus().tokens(lm.tokenizer());
        List<int[]> windows = new ArrayList<>();
        for (int start = 0; start + length + 1 <= stream.length && windows.size() < 5; start += length) {
            windows.add(Arrays.copyOfRange(stream, start, start + length + 1));
        }
        double validNll = 0;
        long validCount = 0;
        for (int[] window : windows) {
            double[] lp = reference.logProbabilities(window, 1);
            validNll -= sum(lp);
            validCount += lp.length;
        }
        assertEquals(5L * length, validCount, "every window scores T tokens");
        report("LmTrainer validation loss", assertClose(new double[] {validNll / validCount},
                new double[] {LmTrainer.validationLoss(lm, windows, 2)}, "LmTrainer validation loss"));
        report("CorpusEvaluator.meanLoss", assertClose(new double[] {validNll / validCount},
                new double[] {new CorpusEvaluator(lm, options).meanLoss(windows)}, "CorpusEvaluator.meanLoss"));
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

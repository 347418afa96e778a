package dev.lazyattention.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.generate.Generation;
import dev.lazyattention.generate.GenerationOptions;
import dev.lazyattention.generate.Generator;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.ReferenceLm;
import dev.lazyattention.testing.SyntheticCorpus;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.train.LmTrainer;
import dev.lazyattention.train.TrainResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every attention variant trains a tiny model for a few steps (the validation loss falls), round-trips
 * through the model file (the parameter file check and the parameter count of config.json), and then scores
 * text like {@link ReferenceLm}, the float64 forward pass written without DJL: through the sequence scorer,
 * alone and in a padded batch, and through the generator with and without the KV cache (learned sinks spread
 * away from 0 first).
 */
class EveryVariantTest {

    private static final int STEPS = 12;
    private static final double TOLERANCE = 1e-5;
    private static final Map<AttentionVariant, Double> LARGEST = new ConcurrentSkipListMap<>();

    @TempDir
    static Path dir;

    @AfterAll
    static void report() {
        LARGEST.forEach((variant, worst) -> System.out.printf(Locale.ROOT,
                "[every variant] %s: largest log-probability difference from the float64 reference %.2e%n",
                variant.id(), worst));
    }

    @ParameterizedTest
    @EnumSource(AttentionVariant.class)
    void trainsSavesLoadsAndScoresLikeTheReference(AttentionVariant variant) throws IOException {
        Path folder = dir.resolve(variant.id());
        List<int[]> windows = validationWindows();
        TrainResult result;
        double before;
        try (LazyLanguageModel lm = TinyModels.fresh(variant, 3)) {
            before = LmTrainer.validationLoss(lm, windows, 2);
            result = new LmTrainer(TinyModels.quickOptions(STEPS).build(), folder).train(lm,
                    TinyModels.trainCorpus().tokens(lm.tokenizer()), TinyModels.validCorpus().tokens(lm.tokenizer()));
        }
        assertEquals(STEPS, result.steps());
        assertEquals(0, result.skippedSteps());
        assertTrue(Double.isFinite(result.trainLoss()), variant + " training loss " + result.trainLoss());

        try (LazyLanguageModel lm = LazyLanguageModel.load(result.model(), Device.cpu())) {
            assertEquals(variant, lm.config().attention());
            assertEquals(lm.config().parameterCount(), lm.parameterCount(), "config.json's count is the model's");
            double after = LmTrainer.validationLoss(lm, windows, 2);
            assertTrue(after < before - 0.1, variant + ": validation loss " + before + " -> " + after);

            if (variant.hasLearnedSink()) {
                spreadSinks(lm); // a few steps move the sinks little from 0, where the variant is off_by_one
            }
            ReferenceLm reference = ReferenceLm.of(lm);
            List<ScoringRequest> requests = new ArrayList<>();
            double[] expected = new double[0];
            Random random = new Random(17);
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                texts.add(SyntheticCorpus.sentence(random) + (i % 2 == 0 ? " " + SyntheticCorpus.sentence(random) : ""));
            }
            for (String text : texts) {
                int[] tokens = lm.tokenizer().afterEndOfText(lm.tokenizer().encode(text));
                requests.add(new ScoringRequest(tokens, 1));
                expected = concat(expected, reference.logProbabilities(tokens, 1));
            }
            double worst = 0;
            ScoringOptions options = ScoringOptions.defaults(lm.config().contextLength());
            for (int batch : new int[] {1, 4}) {
                double[] got = new double[0];
                for (SequenceScore score : new SequenceScorer(lm, options.withBatchSize(batch)).score(requests)) {
                    got = concat(got, score.logProbabilities());
                }
                worst = Math.max(worst, assertClose(expected, got, variant + ", SequenceScorer batch " + batch));
            }
            Generator generator = new Generator(lm);
            for (String text : texts.subList(0, 2)) {
                int[] tokens = lm.tokenizer().afterEndOfText(lm.tokenizer().encode(text));
                for (boolean cache : new boolean[] {true, false}) {
                    Generation g = generator.generate(text, GenerationOptions.greedy(1).withStopAtEndOfText(false)
                            .withCache(cache));
                    worst = Math.max(worst, assertClose(reference.logProbabilities(tokens, 1),
                            g.promptLogProbabilities(), variant + ", Generator prompt, cache " + cache));
                }
            }
            LARGEST.put(variant, worst);
        }
    }

    /** Sinks between -2 and 2 in every layer, so that a wrong sink moves the log-probabilities far. */
    private static void spreadSinks(LazyLanguageModel lm) {
        Random random = new Random(5);
        for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : lm.block().getParameters()) {
            if (p.getKey().endsWith("sinks")) {
                ai.djl.ndarray.NDArray array = p.getValue().getArray();
                float[] values = new float[Math.toIntExact(array.size())];
                for (int i = 0; i < values.length; i++) {
                    values[i] = -2f + 4f * random.nextFloat();
                }
                array.set(values);
            }
        }
    }

    /** Five validation windows of T + 1 tokens, as the trainer cuts them. */
    private static List<int[]> validationWindows() {
        int length = TinyModels.config(AttentionVariant.LAZY).contextLength();
        int[] stream = TinyModels.validCorpus().tokens(TinyModels.tokenizer());
        List<int[]> windows = new ArrayList<>();
        for (int start = 0; start + length + 1 <= stream.length && windows.size() < 5; start += length) {
            windows.add(Arrays.copyOfRange(stream, start, start + length + 1));
        }
        return windows;
    }

    /** Asserts each value within the tolerance; returns the largest difference. */
    private static double assertClose(double[] expected, double[] actual, String what) {
        return ReferenceLm.assertClose(expected, actual, TOLERANCE, what);
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

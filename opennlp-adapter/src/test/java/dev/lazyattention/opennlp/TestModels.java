package dev.lazyattention.opennlp;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.TinyModels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One tiny model trained on the synthetic corpus, shared by the test classes (surefire runs them in one
 * JVM), and the reference scoring the adapter is compared with.
 */
final class TestModels {

    /** Steps of the shared model: enough to learn the synthetic grammar's words. */
    static final int STEPS = 60;

    private static Path folder;
    private static Path trained;
    private static LazyLanguageModel trainedModel;

    private TestModels() {}

    /** The shared trained model file (do not modify). */
    static synchronized Path trainedFile() {
        if (trained == null) {
            try {
                folder = Files.createTempDirectory("lazylm-opennlp-test-");
                trained = TinyModels.trainedModelFile(folder.resolve("run"), AttentionVariant.LAZY, STEPS);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(TestModels::cleanUp));
        }
        return trained;
    }

    /** The shared trained model loaded by the block itself, on the CPU (do not close). */
    static synchronized LazyLanguageModel trainedByBlock() {
        if (trainedModel == null) {
            try {
                trainedModel = LazyLanguageModel.load(trainedFile(), Device.cpu());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return trainedModel;
    }

    /** The block's own score of {@code text} as a document start: [eos] + pieces, first target 1. */
    static double referenceLogProbability(LazyLanguageModel lm, String text) {
        int[] ids = lm.tokenizer().encode(text);
        int[] tokens = new int[ids.length + 1];
        tokens[0] = lm.tokenizer().endOfTextId();
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        return new SequenceScorer(lm, ScoringOptions.defaults(lm.config().contextLength()))
                .score(new ScoringRequest(tokens, 1)).logProbability();
    }

    private static synchronized void cleanUp() {
        if (folder != null) {
            try (Stream<Path> files = Files.walk(folder)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // best effort: it is a temporary folder
            }
        }
    }
}

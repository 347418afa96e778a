package dev.lazyattention.spark;

import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScore;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.TinyModels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A tiny trained model file (context 32, so paragraphs need several windows) and the reference the tests
 * compare Spark with: the same file loaded separately here and scored one text at a time, unbatched, through
 * {@link SequenceScorer} with the default windows.
 */
final class TestModel {

    private static Path file;
    private static LazyLanguageModel reference;

    private TestModel() {}

    static synchronized Path file() {
        if (file == null) {
            try {
                Path dir = Files.createTempDirectory("spark-scoring-model");
                dir.toFile().deleteOnExit();
                file = TinyModels.trainedModelFile(dir.resolve("run"), AttentionVariant.LAZY, 30);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return file;
    }

    static synchronized LazyLanguageModel reference() {
        if (reference == null) {
            try {
                reference = LazyLanguageModel.load(file(), ai.djl.Device.cpu());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return reference;
    }

    /** {@code <|endoftext|>} then the text, scored alone: what a document or a sentence should get. */
    static SequenceScore score(String text, boolean attentionStats) {
        LazyLanguageModel lm = reference();
        int[] ids = lm.tokenizer().encode(text);
        int[] tokens = new int[ids.length + 1];
        tokens[0] = lm.tokenizer().endOfTextId();
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        ScoringOptions options = ScoringOptions.defaults(lm.config().contextLength()).withBatchSize(1)
                .withAttentionStats(attentionStats);
        return new SequenceScorer(lm, options).score(new ScoringRequest(tokens, 1));
    }

    static double logProb(String text) {
        return score(text, false).logProbability();
    }
}

package dev.lazyattention.testing;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.BpeTrainer;
import dev.lazyattention.train.LmTrainer;
import dev.lazyattention.train.TrainOptions;

import java.io.IOException;
import java.nio.file.Path;

/** Tiny tokenizers, models and trained model files for tests: built in seconds from the synthetic corpus. */
public final class TinyModels {

    private static BpeTokenizer tokenizer;

    private TinyModels() {}

    /** The training corpus: 400 synthetic paragraphs. */
    public static TextCorpus trainCorpus() {
        return TextCorpus.of(SyntheticCorpus.documents(400, 1), "synthetic train");
    }

    /** A held-out corpus of 40 paragraphs from another seed. */
    public static TextCorpus validCorpus() {
        return TextCorpus.of(SyntheticCorpus.documents(40, 2), "synthetic valid");
    }

    /** A 400-token byte-level BPE trained on the training corpus (cached). */
    public static synchronized BpeTokenizer tokenizer() {
        if (tokenizer == null) {
            tokenizer = new BpeTrainer(400).train(trainCorpus().documents());
        }
        return tokenizer;
    }

    /** The tiny preset with this tokenizer's vocabulary and the given variant. */
    public static LmConfig config(AttentionVariant variant) {
        return LmConfig.preset("tiny").setVocabSize(tokenizer().vocabSize()).optContextLength(32).optBiasLength(16)
                .optAttention(variant).build();
    }

    /** An untrained tiny model on the CPU. */
    public static LazyLanguageModel fresh(AttentionVariant variant, long seed) {
        return LazyLanguageModel.create(config(variant), tokenizer(), Device.cpu(), seed);
    }

    /** Options for a short, quiet training run. */
    public static TrainOptions quickOptions(int steps) {
        return new TrainOptions().steps(steps).batchSize(8).gradientAccumulation(1).learningRate(3e-3f).warmupSteps(5).evalEvery(0)
                .evalWindows(8).checkpointEvery(0).logEvery(1).progressBar(false).seed(7);
    }

    /** Trains a tiny model for {@code steps} steps into {@code folder}; returns the model file. */
    public static Path trainedModelFile(Path folder, AttentionVariant variant, int steps) throws IOException {
        try (LazyLanguageModel lm = fresh(variant, 3)) {
            TextCorpus train = trainCorpus();
            new LmTrainer(quickOptions(steps), folder)
                    .train(lm, train.tokens(lm.tokenizer()), validCorpus().tokens(lm.tokenizer()));
        }
        return folder.resolve(LmTrainer.MODEL_FILE);
    }
}

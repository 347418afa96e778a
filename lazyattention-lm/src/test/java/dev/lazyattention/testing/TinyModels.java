package dev.lazyattention.testing;

import static dev.lazyattention.train.TrainConfig.BATCH_SIZE;
import static dev.lazyattention.train.TrainConfig.CHECKPOINT_EVERY;
import static dev.lazyattention.train.TrainConfig.EVAL_EVERY;
import static dev.lazyattention.train.TrainConfig.EVAL_WINDOWS;
import static dev.lazyattention.train.TrainConfig.GRAD_ACCUM;
import static dev.lazyattention.train.TrainConfig.LEARNING_RATE;
import static dev.lazyattention.train.TrainConfig.LOG_EVERY;
import static dev.lazyattention.train.TrainConfig.PROGRESS;
import static dev.lazyattention.train.TrainConfig.SEED;
import static dev.lazyattention.train.TrainConfig.STEPS;
import static dev.lazyattention.train.TrainConfig.WARMUP_STEPS;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.SettingTable;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.BpeTrainer;
import dev.lazyattention.train.LmTrainer;
import dev.lazyattention.train.TrainConfig;

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
        return LmConfig.preset("tiny").with(LmConfig.VOCAB_SIZE, tokenizer().vocabSize())
                .with(LmConfig.CONTEXT_LENGTH, 32).with(LmConfig.BIAS_LENGTH, 16)
                .with(LmConfig.ATTENTION, variant);
    }

    /** An untrained tiny model on the CPU. */
    public static LazyLanguageModel fresh(AttentionVariant variant, long seed) {
        return LazyLanguageModel.create(config(variant), tokenizer(), Device.cpu(), seed);
    }

    /** Options for a short, quiet training run, to adjust and build. */
    public static SettingTable<TrainConfig>.Builder quickOptions(int steps) {
        return TrainConfig.builder().set(STEPS, steps).set(BATCH_SIZE, 8)
                .set(GRAD_ACCUM, 1).set(LEARNING_RATE, 3e-3f).set(WARMUP_STEPS, 5)
                .set(EVAL_EVERY, 0).set(EVAL_WINDOWS, 8).set(CHECKPOINT_EVERY, 0)
                .set(LOG_EVERY, 1).set(PROGRESS, false).set(SEED, 7L);
    }

    /**
     * Settings of a few-second run of the training recipe, as a front end would receive them: setting key
     * to text. Tests of the front ends spell these in their own option names and compare with {@link
     * #recipeSettings}. The weight decay, warmup and start token differ from the defaults, so that a front
     * end dropping them shows.
     */
    public static java.util.Map<String, String> recipeSettingsText(int steps) {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("preset", "tiny");
        m.put("vocabSize", "300");
        m.put("contextLength", "32");
        m.put("startToken", "true");
        m.put("steps", Integer.toString(steps));
        m.put("batchSize", "4");
        m.put("gradAccum", "2");
        m.put("learningRate", "0.003");
        m.put("warmupSteps", "1");
        m.put("weightDecay", "0.05");
        m.put("seed", "11");
        m.put("device", "cpu");
        m.put("progress", "false");
        return m;
    }

    /** {@link #recipeSettingsText} as settings. */
    public static TrainConfig recipeSettings(int steps) {
        java.util.Map<String, String> text = recipeSettingsText(steps);
        return TrainConfig.SETTINGS.bind(TrainConfig.DEFAULTS, FrontEnd.CORENLP,
                name -> text.get(name.substring("lazylm.train.".length())));
    }

    /** Trains a tiny model for {@code steps} steps into {@code folder}; returns the model file. */
    public static Path trainedModelFile(Path folder, AttentionVariant variant, int steps) throws IOException {
        try (LazyLanguageModel lm = fresh(variant, 3)) {
            TextCorpus train = trainCorpus();
            new LmTrainer(quickOptions(steps).build(), folder)
                    .train(lm, train.tokens(lm.tokenizer()), validCorpus().tokens(lm.tokenizer()));
        }
        return folder.resolve(LmTrainer.MODEL_FILE);
    }
}

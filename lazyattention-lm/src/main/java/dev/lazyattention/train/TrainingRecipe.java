package dev.lazyattention.train;

import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.BpeTrainer;
import dev.lazyattention.tokenizer.TokenizerJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one training recipe every front end runs: documents, then a byte-level BPE tokenizer ({@link
 * BpeTrainer}, or one given), then the architecture (a preset with overrides), then a fresh {@link
 * LazyLanguageModel}, then {@link LmTrainer}, all from one {@link TrainConfig}. Front ends (the {@code
 * lazyattn} commands, the CoreNLP and OpenNLP trainers, the Spark benchmark) only turn their own option
 * names into settings.
 *
 * <pre>{@code
 * TrainingRecipe recipe = TrainingRecipe.builder()
 *         .setSettings(TrainConfig.builder().set(TrainConfig.PRESET, "small").set(TrainConfig.STEPS, 1000).build())
 *         .build();
 * try (TrainedModel trained = recipe.train(corpus, validation, Path.of("run"))) {
 *     System.out.println(trained.result().validLoss());
 * }
 * }</pre>
 *
 * <p>Files in the output folder: those of {@link LmTrainer} and {@value #TOKENIZER_FILE}.
 */
public final class TrainingRecipe {

    /** The tokenizer, as Hugging Face's {@code tokenizer.json}, in the output folder. */
    public static final String TOKENIZER_FILE = "tokenizer.json";

    /** Hears what the recipe does, for a front end's own messages. */
    public interface Listener {

        /** A tokenizer was trained on the corpus in {@code seconds}. */
        default void tokenizerTrained(BpeTokenizer tokenizer, double seconds) {}

        /** A fresh model was made, before training. */
        default void modelCreated(LazyLanguageModel model) {}

        /** A run resumes at {@code step} of {@code steps} from {@code checkpoint}. */
        default void resuming(int step, int steps, Path checkpoint) {}

        /** Hears nothing. */
        Listener NONE = new Listener() {};
    }

    private final TrainConfig settings;
    private final BpeTokenizer tokenizer;
    private final TrainingMonitor monitor;
    private final Listener listener;

    private TrainingRecipe(Builder b) {
        settings = b.settings;
        tokenizer = b.tokenizer;
        monitor = b.monitor;
        listener = b.listener;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The recipe with {@code settings} and nothing else given. */
    public static TrainingRecipe of(TrainConfig settings) {
        return builder().setSettings(settings).build();
    }

    public TrainConfig settings() {
        return settings;
    }

    /** The tokenizer given to the builder, or one of the settings' size trained on {@code corpus}. */
    public BpeTokenizer tokenizer(TextCorpus corpus) {
        if (tokenizer != null) {
            return tokenizer;
        }
        long started = System.nanoTime();
        BpeTokenizer trained = new BpeTrainer(settings.resolvedVocabSize()).train(corpus.documents());
        listener.tokenizerTrained(trained, (System.nanoTime() - started) / 1e9);
        return trained;
    }

    /** The architecture for {@code tokenizer}: the settings' preset with their overrides. */
    public LmConfig config(BpeTokenizer tokenizer) {
        return settings.config(tokenizer.vocabSize());
    }

    /**
     * A fresh model for {@code tokenizer}, on the settings' device, initialised from their seed, with their
     * language. The caller owns it.
     */
    public LazyLanguageModel createModel(BpeTokenizer tokenizer) {
        return LazyLanguageModel.create(config(tokenizer), tokenizer, settings.resolvedDevice(), settings.seed(),
                settings.language());
    }

    /**
     * The whole recipe: a tokenizer trained on {@code train} (unless one was given, and saved as {@value
     * #TOKENIZER_FILE} in {@code outDir}), a fresh model, and training.
     *
     * @param valid validation documents, or null
     * @throws IllegalArgumentException if {@code outDir} already holds a checkpoint or a model (checked first)
     */
    public TrainedModel train(TextCorpus train, TextCorpus valid, Path outDir) throws IOException {
        LmTrainer.refuseFinishedOrStartedRun(outDir);
        BpeTokenizer tok = tokenizer(train);
        Files.createDirectories(outDir);
        TokenizerJson.save(tok, outDir.resolve(TOKENIZER_FILE));
        return train(tok, train.tokens(tok), valid == null ? null : valid.tokens(tok), outDir);
    }

    /**
     * A fresh model for {@code tokenizer}, trained on tokens it made.
     *
     * @param validTokens validation tokens, or null
     */
    public TrainedModel train(BpeTokenizer tokenizer, int[] trainTokens, int[] validTokens, Path outDir)
            throws IOException {
        LmTrainer.refuseFinishedOrStartedRun(outDir);
        LazyLanguageModel lm = createModel(tokenizer);
        try {
            listener.modelCreated(lm);
            return new TrainedModel(lm, train(lm, trainTokens, validTokens, outDir));
        } catch (IOException | RuntimeException | Error e) {
            lm.close();
            throw e;
        }
    }

    /** The last stage alone: trains a model the caller brings (and keeps owning) with these settings. */
    public TrainResult train(LazyLanguageModel lm, int[] trainTokens, int[] validTokens, Path outDir)
            throws IOException {
        return new LmTrainer(settings, outDir).monitor(monitor).train(lm, trainTokens, validTokens);
    }

    /**
     * Continues the run in {@code outDir} from its checkpoint with the checkpoint's configuration: the steps
     * become {@code steps} when that is higher, the progress bar and the device follow the settings. The
     * documents are tokenized with the checkpoint's tokenizer.
     *
     * @param steps the steps asked for, or null to end where the checkpoint's run was meant to end
     * @param valid validation documents, or null
     * @throws IllegalArgumentException if {@code outDir} holds no checkpoint
     * @see LmTrainer#resume
     */
    public TrainResult resume(Path outDir, Integer steps, TextCorpus train, TextCorpus valid) throws IOException {
        Path file = outDir.resolve(LmTrainer.CHECKPOINT_FILE);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("cannot resume: " + file + " does not exist");
        }
        try (Checkpoint checkpoint = Checkpoint.load(file, settings.resolvedDevice())) {
            TrainConfig saved = checkpoint.options();
            int horizon = steps == null ? saved.steps() : Math.max(steps, saved.steps());
            TrainConfig options = saved.toBuilder().set(TrainConfig.STEPS, horizon)
                    .set(TrainConfig.PROGRESS, settings.resolvedProgress()).build();
            if (checkpoint.step() < horizon) {
                listener.resuming(checkpoint.step(), horizon, file);
            }
            BpeTokenizer tok = checkpoint.model().tokenizer();
            return new LmTrainer(options, outDir).monitor(monitor)
                    .resume(checkpoint, train.tokens(tok), valid == null ? null : valid.tokens(tok));
        }
    }

    /** Builder of {@link TrainingRecipe}: the settings are required. */
    public static final class Builder {
        private TrainConfig settings;
        private BpeTokenizer tokenizer;
        private TrainingMonitor monitor = TrainingMonitor.NONE;
        private Listener listener = Listener.NONE;

        private Builder() {}

        public Builder setSettings(TrainConfig settings) {
            this.settings = settings;
            return this;
        }

        /** Use this tokenizer instead of training one (the settings' vocabSize is then not used). */
        public Builder optTokenizer(BpeTokenizer tokenizer) {
            this.tokenizer = tokenizer;
            return this;
        }

        /** Hears every step and validation, and may stop training early. */
        public Builder optMonitor(TrainingMonitor monitor) {
            this.monitor = monitor == null ? TrainingMonitor.NONE : monitor;
            return this;
        }

        public Builder optListener(Listener listener) {
            this.listener = listener == null ? Listener.NONE : listener;
            return this;
        }

        /** @throws IllegalArgumentException without settings */
        public TrainingRecipe build() {
            if (settings == null) {
                throw new IllegalArgumentException("the training recipe needs settings (setSettings)");
            }
            return new TrainingRecipe(this);
        }
    }
}

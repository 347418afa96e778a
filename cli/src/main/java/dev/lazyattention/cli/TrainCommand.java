package dev.lazyattention.cli;

import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.TokenizerJson;
import dev.lazyattention.train.LmTrainer;
import dev.lazyattention.train.TrainResult;
import dev.lazyattention.train.TrainedModel;
import dev.lazyattention.train.TrainingRecipe;
import dev.lazyattention.train.TrainConfig;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.SettingOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code lazyattn train}: the training recipe with every setting as an option. */
@Command(name = "train", mixinStandardHelpOptions = true, modelTransformer = TrainCommand.Settings.class,
        description = {"Train a language model on text files (.txt or .txt.gz), or standard input (-).",
            "Writes DIR/model.lazylm.zip, DIR/checkpoint.lazylm.zip, DIR/metrics.jsonl and DIR/tokenizer.json.",
            "With --resume the checkpoint's options apply; --steps may raise the total, --progress and --device "
                    + "apply as given."})
final class TrainCommand implements Callable<Integer> {

    /** Adds an option for every training setting. */
    static final class Settings implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            return SettingOptions.addTo(spec, FrontEnd.CLI, TrainConfig.builder(), TrainConfig.SETTINGS.settings());
        }
    }

    @Spec
    CommandSpec spec;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Mixin
    TrainingFiles input = new TrainingFiles();

    @Option(names = "--resume", description = "Continue from DIR/checkpoint.lazylm.zip with its options "
            + "(--steps may raise the total); if training had finished, writes a missing or stale model file from it.")
    boolean resume;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Use this tokenizer.json instead of training one.")
    Path tokenizerFile;

    @Override
    public Integer call() throws Exception {
        TrainConfig settings = SettingOptions.read(spec, FrontEnd.CLI, TrainConfig.builder());
        Path out = input.out();
        if (!resume) {
            for (String name : new String[] {LmTrainer.CHECKPOINT_FILE, LmTrainer.MODEL_FILE}) {
                if (Files.exists(out.resolve(name))) {
                    throw new IllegalArgumentException("--out " + out + " already holds " + name
                            + "; add --resume to continue it or choose another folder");
                }
            }
        }
        List<Path> trainInputs = input.train();
        TextCorpus train = TextInputs.corpus(trainInputs, System.in);
        TextCorpus valid = input.valid() == null ? null : TextInputs.corpus(input.valid(), System.in);
        System.out.printf(Locale.ROOT, "Corpus: %s, %d documents, %.1f MB%n", train.description(),
                train.documents().size(), train.bytes() / 1e6);
        TrainingRecipe recipe = TrainingRecipe.builder().setSettings(settings)
                .optTokenizer(tokenizerFile == null ? null : TokenizerJson.load(tokenizerFile))
                .optListener(new Report()).build();
        TrainResult result;
        if (resume) {
            boolean moreSteps = SettingOptions.given(spec, FrontEnd.CLI, TrainConfig.SETTINGS, TrainConfig.STEPS);
            result = recipe.resume(out, moreSteps ? settings.steps() : null, train, valid);
        } else {
            try (TrainedModel trained = recipe.train(train, valid, out)) {
                result = trained.result();
            }
        }
        if (result.outcome() == TrainResult.Outcome.ALREADY_FINISHED) {
            System.out.printf(Locale.ROOT, "Training already finished: the checkpoint is at step %d of %d and %s "
                    + "holds its weights; nothing to do.%n", result.steps(), result.steps(), result.model());
            return 0;
        }
        if (result.outcome() == TrainResult.Outcome.MODEL_WRITTEN_FROM_CHECKPOINT) {
            System.out.printf(Locale.ROOT, "Training had finished (checkpoint at step %d of %d) but the model file "
                    + "was missing or out of date: wrote it from the checkpoint's weights.%nModel: %s%n",
                    result.steps(), result.steps(), result.model());
            return 0;
        }
        System.out.printf(Locale.ROOT, "Done: %d steps in %.0f s, %.0f tokens/s; train loss %.4f, %s%nModel: %s%n",
                result.steps(), result.wallSeconds(), result.tokensPerSecond(), result.trainLoss(),
                validation(valid != null, result.validLoss()), result.model());
        return 0;
    }

    /** The validation part of the summary: the loss, or plainly that there was none (not a NaN loss). */
    static String validation(boolean validated, double validLoss) {
        return validated
                ? String.format(Locale.ROOT, "validation loss %.4f (perplexity %.2f)", validLoss, Math.exp(validLoss))
                : "no validation files (--valid FILE... gives a held-out loss)";
    }

    /** Prints each event of the recipe (tokenizer trained, model created, resuming, ...) on standard output. */
    static final class Report implements TrainingRecipe.Listener {
        @Override
        public void tokenizerTrained(BpeTokenizer tokenizer, double seconds) {
            System.out.printf(Locale.ROOT, "Tokenizer: %d tokens, trained in %.1f s%n", tokenizer.vocabSize(), seconds);
        }

        @Override
        public void modelCreated(LazyLanguageModel lm) {
            System.out.printf(Locale.ROOT, "Model: %s, %,d parameters, on %s%n", lm.config(), lm.parameterCount(),
                    lm.device());
        }

        @Override
        public void resuming(int step, int steps, Path checkpoint) {
            System.out.printf(Locale.ROOT, "Resuming at step %d of %d from %s%n", step, steps, checkpoint);
        }
    }
}

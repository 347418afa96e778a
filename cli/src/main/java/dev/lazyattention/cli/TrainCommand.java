package dev.lazyattention.cli;

import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.BpeTrainer;
import dev.lazyattention.tokenizer.TokenizerJson;
import dev.lazyattention.train.Checkpoint;
import dev.lazyattention.train.LmTrainer;
import dev.lazyattention.train.TrainOptions;
import dev.lazyattention.train.TrainResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code lazyattn train}. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a language model on text files (.txt or .txt.gz).",
            "Writes DIR/model.lazylm.zip, DIR/checkpoint.lazylm.zip, DIR/metrics.jsonl and DIR/tokenizer.json."})
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--train", required = true, arity = "1..*", paramLabel = "FILE",
            description = "Training text files.")
    List<Path> trainFiles;

    @Option(names = "--valid", arity = "1..*", paramLabel = "FILE", description = "Validation text files.")
    List<Path> validFiles;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--resume", description = "Continue from DIR/checkpoint.lazylm.zip with its options "
            + "(--steps may raise the total); if training had finished, writes a missing or stale model file from it.")
    boolean resume;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Use this tokenizer.json instead of training one.")
    Path tokenizerFile;

    @Option(names = "--vocab-size", description = "Tokenizer size when one is trained (default: the preset's).")
    Integer vocabSize;

    @Option(names = "--steps", description = "Optimizer steps (default: 1000; with --resume, the checkpoint's).")
    Integer steps;

    @Option(names = "--batch-size", defaultValue = "4",
            description = "Windows per forward pass (default: ${DEFAULT-VALUE}; small batches keep tensors under glibc's mmap threshold on CPU).")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "4", description = "Batches per optimizer step (default: ${DEFAULT-VALUE}).")
    int gradAccumulation;

    @Option(names = "--seq-len", description = "Window length (default: the context length).")
    Integer sequenceLength;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--warmup", description = "Warmup steps (default: a tenth of the steps, at most 200).")
    Integer warmup;

    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW weight decay on matrices (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--seed", defaultValue = "1234", description = "Seed of the weights and the data order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--eval-every", defaultValue = "100", description = "Validation every N steps (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--eval-windows", defaultValue = "32", description = "Validation windows (default: ${DEFAULT-VALUE}).")
    int evalWindows;

    @Option(names = "--checkpoint-every", defaultValue = "200", description = "Checkpoint every N steps (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--on-nan", defaultValue = "stop", paramLabel = "stop|skip",
            description = "A NaN or infinite loss stops training, or skips the batch (default: ${DEFAULT-VALUE}).")
    String onNan;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Override
    public Integer call() throws Exception {
        TextCorpus train = TextCorpus.read(trainFiles);
        TextCorpus valid = validFiles == null ? null : TextCorpus.read(validFiles);
        System.out.printf(Locale.ROOT, "Corpus: %s, %d documents, %.1f MB%n", train.description(),
                train.documents().size(), train.bytes() / 1e6);
        TrainResult result = resume ? resume(train, valid) : fresh(train, valid);
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
        System.out.printf(Locale.ROOT, "Done: %d steps in %.0f s, %.0f tokens/s; train loss %.4f, validation loss %.4f"
                + " (perplexity %.2f)%nModel: %s%n", result.steps(), result.wallSeconds(), result.tokensPerSecond(),
                result.trainLoss(), result.validLoss(), Math.exp(result.validLoss()), result.model());
        return 0;
    }

    private TrainResult fresh(TextCorpus train, TextCorpus valid) throws Exception {
        TrainOptions options = options();
        for (String name : new String[] {LmTrainer.CHECKPOINT_FILE, LmTrainer.MODEL_FILE}) {
            if (Files.exists(out.resolve(name))) {
                throw new IllegalArgumentException("--out " + out + " already holds " + name
                        + "; add --resume to continue it or choose another folder");
            }
        }
        model.config(2); // checks preset, attention and overrides before any work
        BpeTokenizer tokenizer;
        if (tokenizerFile != null) {
            tokenizer = TokenizerJson.load(tokenizerFile);
        } else {
            int size = vocabSize != null ? vocabSize : model.presetVocabSize();
            long started = System.nanoTime();
            tokenizer = new BpeTrainer(size).train(train.documents());
            System.out.printf(Locale.ROOT, "Tokenizer: %d tokens, trained in %.1f s%n", tokenizer.vocabSize(),
                    (System.nanoTime() - started) / 1e9);
        }
        Files.createDirectories(out);
        TokenizerJson.save(tokenizer, out.resolve("tokenizer.json"));
        LmConfig config = model.config(tokenizer.vocabSize());
        try (LazyLanguageModel lm = LazyLanguageModel.create(config, tokenizer, device.resolve(), seed)) {
            System.out.printf(Locale.ROOT, "Model: %s, %,d parameters, on %s%n", config, lm.parameterCount(), lm.device());
            return new LmTrainer(options, out).train(lm, train.tokens(tokenizer), valid == null ? null : valid.tokens(tokenizer));
        }
    }

    private TrainResult resume(TextCorpus train, TextCorpus valid) throws Exception {
        Path file = out.resolve(LmTrainer.CHECKPOINT_FILE);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("--resume: " + file + " does not exist");
        }
        Checkpoint checkpoint = Checkpoint.load(file, device.resolve());
        // Without --steps the run ends where it was meant to: the schedule's horizon stays the checkpoint's.
        TrainOptions options = steps == null ? checkpoint.options()
                : checkpoint.options().steps(Math.max(steps, checkpoint.options().steps()));
        options.progressBar(!noProgress);
        if (checkpoint.step() < options.steps()) {
            System.out.printf(Locale.ROOT, "Resuming at step %d of %d from %s%n", checkpoint.step(), options.steps(),
                    file);
        }
        try (LazyLanguageModel lm = checkpoint.model()) {
            return new LmTrainer(options, out).resume(checkpoint, train.tokens(lm.tokenizer()),
                    valid == null ? null : valid.tokens(lm.tokenizer()));
        }
    }

    private TrainOptions options() {
        TrainOptions o = new TrainOptions().steps(steps == null ? 1000 : steps).batchSize(batchSize).gradientAccumulation(gradAccumulation)
                .learningRate(learningRate).weightDecay(weightDecay).seed(seed).evalEvery(evalEvery)
                .evalWindows(evalWindows).checkpointEvery(checkpointEvery).progressBar(!noProgress)
                .nonFinite(parsePolicy(onNan));
        if (sequenceLength != null) {
            o.sequenceLength(sequenceLength);
        }
        if (warmup != null) {
            o.warmupSteps(warmup);
        }
        if (steps != null && steps < 1) {
            throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
        }
        return o;
    }

    private static TrainOptions.NonFinitePolicy parsePolicy(String value) {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "stop":
                return TrainOptions.NonFinitePolicy.STOP;
            case "skip":
                return TrainOptions.NonFinitePolicy.SKIP;
            default:
                throw new IllegalArgumentException("--on-nan " + value + ": expected stop or skip");
        }
    }
}

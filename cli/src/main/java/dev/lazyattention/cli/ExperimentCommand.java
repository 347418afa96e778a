package dev.lazyattention.cli;

import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.eval.CorpusEvaluator;
import dev.lazyattention.eval.EvalResult;
import dev.lazyattention.eval.MultipleChoice;
import dev.lazyattention.eval.ScoringOptions;
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

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code lazyattn experiment}. */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = {"Train attention variants under equal conditions and report how they compare.",
            "Every variant gets the same tokenizer, seed, data order and (within 1%%) parameter count.",
            "Writes DIR/results.json, DIR/report.md and PNG charts; DIR/<variant>/ holds each run.",
            "An interrupted experiment continues where it stopped when run again with the same DIR."})
final class ExperimentCommand implements Callable<Integer> {

    @Option(names = "--train", arity = "1..*", paramLabel = "FILE", description = "Training text files.")
    List<Path> trainFiles;

    @Option(names = "--valid", arity = "1..*", paramLabel = "FILE", description = "Validation text files.")
    List<Path> validFiles;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--preset", defaultValue = "small", description = "Model preset (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--variants", defaultValue = "lazy,softmax,bias_only,elastic_only", split = ",",
            description = "Variants to compare (default: ${DEFAULT-VALUE}).")
    List<String> variants;

    @Option(names = "--steps", defaultValue = "1500", description = "Steps per variant (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "4", description = "Windows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "4", description = "Batches per step (default: ${DEFAULT-VALUE}).")
    int gradAccumulation;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--seed", defaultValue = "1234", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--piqa", paramLabel = "FILE", description = "PIQA items (piqa-valid.jsonl.gz) for acc and acc_norm.")
    Path piqa;

    @Option(names = "--piqa-labels", paramLabel = "FILE", description = "PIQA labels (piqa-valid-labels.lst).")
    Path piqaLabels;

    @Option(names = "--report-only", description = "Only redraw the report from the runs already in DIR.")
    boolean reportOnly;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Override
    public Integer call() throws Exception {
        List<AttentionVariant> list = new ArrayList<>();
        for (String v : variants) {
            list.add(AttentionVariant.parse(v));
        }
        LmConfig.preset(preset); // an unknown preset fails here, before anything else
        if (!reportOnly) {
            run(list);
        }
        ExperimentReport.write(out, list);
        System.out.println("Report: " + out.resolve("report.md"));
        return 0;
    }

    private void run(List<AttentionVariant> list) throws Exception {
        if (trainFiles == null || validFiles == null) {
            throw new IllegalArgumentException("--train and --valid are required unless --report-only is given");
        }
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
        }
        if ((piqa == null) != (piqaLabels == null)) {
            throw new IllegalArgumentException("--piqa and --piqa-labels go together");
        }
        List<MultipleChoice.Item> piqaItems = piqa == null ? null : MultipleChoice.read(piqa, piqaLabels);
        TextCorpus train = TextCorpus.read(trainFiles);
        TextCorpus valid = TextCorpus.read(validFiles);
        writableFolder(out);

        Path tokenizerFile = out.resolve("tokenizer.json");
        BpeTokenizer tokenizer;
        if (Files.exists(tokenizerFile)) {
            tokenizer = TokenizerJson.load(tokenizerFile);
        } else {
            long t = System.nanoTime();
            tokenizer = new BpeTrainer(LmConfig.preset(preset).build().vocabSize()).train(train.documents());
            TokenizerJson.save(tokenizer, tokenizerFile);
            System.out.printf(Locale.ROOT, "Tokenizer: %d tokens in %.1f s%n", tokenizer.vocabSize(), (System.nanoTime() - t) / 1e9);
        }
        int[] trainTokens = train.tokens(tokenizer);
        int[] validTokens = valid.tokens(tokenizer);
        writeSetup(train, valid, trainTokens.length, validTokens.length);

        for (AttentionVariant variant : list) {
            Path dir = out.resolve(variant.id());
            Path evalFile = dir.resolve(ExperimentReport.EVAL_FILE);
            if (Files.exists(evalFile)) {
                System.out.println(variant.id() + ": already done");
                continue;
            }
            LmConfig config = LmConfig.preset(preset).setVocabSize(tokenizer.vocabSize()).optAttention(variant).build();
            TrainOptions options = new TrainOptions().steps(steps).batchSize(batchSize)
                    .gradientAccumulation(gradAccumulation).learningRate(learningRate).seed(seed)
                    .evalEvery(Math.max(1, steps / 20)).evalWindows(32).checkpointEvery(Math.max(1, steps / 10))
                    .validationAttentionStats(true).progressBar(!noProgress);
            TrainResult result;
            Path checkpoint = dir.resolve(LmTrainer.CHECKPOINT_FILE);
            if (Files.exists(dir.resolve(LmTrainer.MODEL_FILE))) {
                result = null;
            } else if (Files.exists(checkpoint)) {
                Checkpoint cp = Checkpoint.load(checkpoint, device.resolve());
                System.out.printf(Locale.ROOT, "%s: resuming at step %d%n", variant.id(), cp.step());
                try (LazyLanguageModel lm = cp.model()) {
                    result = new LmTrainer(options, dir).resume(cp, trainTokens, validTokens);
                }
            } else {
                try (LazyLanguageModel lm = LazyLanguageModel.create(config, tokenizer, device.resolve(), seed)) {
                    System.out.printf(Locale.ROOT, "%s: %,d parameters%n", variant.id(), lm.parameterCount());
                    result = new LmTrainer(options, dir).train(lm, trainTokens, validTokens);
                }
            }
            evaluate(variant, dir, valid, piqaItems, result);
        }
    }

    private void evaluate(AttentionVariant variant, Path dir, TextCorpus valid, List<MultipleChoice.Item> piqaItems,
            TrainResult result) throws IOException {
        try (LazyLanguageModel lm = LazyLanguageModel.load(dir.resolve(LmTrainer.MODEL_FILE), device.resolve())) {
            long t = System.nanoTime();
            EvalResult eval = new CorpusEvaluator(lm, ScoringOptions.defaults(lm.config().contextLength())
                    .withAttentionStats(true).withBatchSize(4)).evaluate(valid);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("variant", variant.id());
            m.putAll(eval.toMap());
            m.put("sinkMassPerHead", eval.attention().sinkMassPerHead());
            m.put("parameters", lm.parameterCount());
            m.put("steps", steps);
            if (result != null) {
                m.put("trainTokensPerSecond", result.tokensPerSecond());
                m.put("trainWallSeconds", result.wallSeconds());
            }
            m.put("evalSeconds", (System.nanoTime() - t) / 1e9);
            if (piqaItems != null) {
                MultipleChoice.Result r = MultipleChoice.evaluate(lm, piqaItems,
                        ScoringOptions.defaults(lm.config().contextLength()).withBatchSize(16));
                m.put("piqaItems", r.items());
                m.put("piqaAcc", r.acc());
                m.put("piqaAccNorm", r.accNorm());
            }
            Files.writeString(dir.resolve(ExperimentReport.EVAL_FILE), Json.of(m), StandardCharsets.UTF_8);
            System.out.printf(Locale.ROOT, "%s: bits per byte %.4f, sparsity %.3f, sink mass %.4f%n", variant.id(),
                    eval.bitsPerByte(), eval.attention().sparsity(), eval.attention().sinkMass());
        }
    }

    private void writeSetup(TextCorpus train, TextCorpus valid, int trainTokens, int validTokens) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("preset", preset);
        m.put("steps", steps);
        m.put("batchSize", batchSize);
        m.put("gradientAccumulation", gradAccumulation);
        m.put("learningRate", learningRate);
        m.put("seed", seed);
        m.put("trainFiles", trainFiles.stream().map(Path::toString).toList());
        m.put("validFiles", validFiles.stream().map(Path::toString).toList());
        m.put("trainBytes", train.bytes());
        m.put("trainTokens", trainTokens);
        m.put("validBytes", valid.bytes());
        m.put("validTokens", validTokens);
        m.put("machine", Machine.describe());
        Files.writeString(out.resolve(ExperimentReport.SETUP_FILE), Json.of(m), StandardCharsets.UTF_8);
        JsonParser.parseString(Json.of(m)); // stays valid JSON
    }

    static void writableFolder(Path folder) throws IOException {
        try {
            Files.createDirectories(folder);
            Files.delete(Files.createTempFile(folder, ".probe", ".tmp"));
        } catch (IOException e) {
            throw new IOException("--out " + folder + " is not a writable folder: " + e.getMessage(), e);
        }
    }
}

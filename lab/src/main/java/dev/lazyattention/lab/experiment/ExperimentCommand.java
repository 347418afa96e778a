package dev.lazyattention.lab.experiment;

import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.cli.Json;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.SettingOptions;
import dev.lazyattention.cli.TextInputs;
import dev.lazyattention.cli.ThreadsOption;
import dev.lazyattention.cli.TrainingFiles;
import dev.lazyattention.eval.CorpusEvaluator;
import dev.lazyattention.eval.EvalResult;
import dev.lazyattention.eval.MultipleChoice;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lab.bench.Machine;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.TokenizerJson;
import dev.lazyattention.train.LmTrainer;
import dev.lazyattention.train.TrainResult;
import dev.lazyattention.train.TrainedModel;
import dev.lazyattention.train.TrainingRecipe;
import dev.lazyattention.settings.Setting;
import dev.lazyattention.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
import java.util.function.Predicate;

/** {@code lazyattn experiment}. */
@Command(name = "experiment", mixinStandardHelpOptions = true, modelTransformer = ExperimentCommand.Settings.class,
        description = {"Train attention variants under equal conditions and report how they compare.",
            "Every variant gets the same tokenizer, seed, data order and (within 1%%) parameter count.",
            "Writes DIR/results.json, DIR/report.md and PNG charts; DIR/<variant>/ holds each run.",
            "An interrupted experiment continues where it stopped when run again with the same DIR.",
            "Unless given, each run validates 20 times (with attention statistics) and checkpoints 10 times."})
public final class ExperimentCommand implements Callable<Integer> {

    /** Adds an option for every training setting but the attention, which --variants sets. */
    static final class Settings implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            return SettingOptions.addTo(spec, FrontEnd.CLI, TrainConfig.builder(),
                    SettingOptions.allBut(TrainConfig.SETTINGS, TrainConfig.ATTENTION));
        }
    }

    @Spec
    CommandSpec spec;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Mixin
    TrainingFiles input = new TrainingFiles();

    @Option(names = "--variants", defaultValue = "lazy,softmax,bias_only,elastic_only,off_by_one,gated", split = ",",
            paramLabel = "VARIANT", description = "Variants to compare, any of lazy, softmax, bias_only, elastic_only, "
                    + "off_by_one, gated, learned_sink (default: ${DEFAULT-VALUE}).")
    List<String> variants;

    @Option(names = "--repeat-seeds", split = ",", paramLabel = "SEED",
            description = "More seeds for the --repeat-variants: each gets one more run per seed, in DIR/<variant>-seed<SEED>, "
                    + "so the report can compare a difference with the seed-to-seed spread.")
    List<Long> repeatSeeds = List.of();

    @Option(names = "--repeat-variants", defaultValue = "lazy,softmax", split = ",", paramLabel = "VARIANT",
            description = "Variants run again with each --repeat-seeds seed, from lazy, softmax, bias_only,"
                    + " elastic_only, off_by_one, gated, learned_sink (default: ${DEFAULT-VALUE}).")
    List<String> repeatVariants;

    @Option(names = "--held-out", arity = "1..*", paramLabel = "FILE",
            description = "Texts no run trains or validates on (e.g. WikiText-2), scored once at the end of each run.")
    List<Path> heldOutFiles;

    @Option(names = "--piqa", paramLabel = "FILE", description = "PIQA items (piqa-valid.jsonl.gz) for acc and acc_norm.")
    Path piqa;

    @Option(names = "--piqa-labels", paramLabel = "FILE", description = "PIQA labels (piqa-valid-labels.lst).")
    Path piqaLabels;

    @Option(names = "--report-only", description = "Only redraw the report from the runs already in DIR.")
    boolean reportOnly;

    /** The settings of every variant's run (the variant sets the attention). */
    private TrainConfig settings;

    private int tokenizerVocabSize;

    /** One training run: a variant with a seed, in DIR/{@link #id()}. */
    record Run(AttentionVariant variant, long seed, boolean repeat) {
        String id() {
            return repeat ? variant.id() + "-seed" + seed : variant.id();
        }
    }

    @Override
    public Integer call() throws Exception {
        settings = experimentSettings(SettingOptions.read(spec, FrontEnd.CLI, TrainConfig.builder()),
                s -> SettingOptions.given(spec, FrontEnd.CLI, TrainConfig.SETTINGS, s));
        List<Run> list = runs();
        if (!reportOnly) {
            run(list);
        }
        ExperimentReport.write(input.out(), list);
        System.out.println("Report: " + input.out().resolve("report.md"));
        return 0;
    }

    /** Every variant with the experiment's seed, then the repeated variants with each further seed. */
    private List<Run> runs() {
        List<Run> list = new ArrayList<>();
        for (String v : variants) {
            list.add(new Run(AttentionVariant.parse(v), settings.seed(), false));
        }
        for (long seed : repeatSeeds) {
            if (seed == settings.seed()) {
                throw new IllegalArgumentException("--repeat-seeds " + seed + " is the experiment's own --seed");
            }
            for (String v : repeatVariants) {
                list.add(new Run(AttentionVariant.parse(v), seed, true));
            }
        }
        return list;
    }

    /** The experiment's own cadence where none was given: 20 validations with attention statistics, 10 checkpoints. */
    static TrainConfig experimentSettings(TrainConfig given, Predicate<Setting<?>> isGiven) {
        var b = given.toBuilder();
        if (!isGiven.test(TrainConfig.EVAL_EVERY)) {
            b.set(TrainConfig.EVAL_EVERY, Math.max(1, given.steps() / 20));
        }
        if (!isGiven.test(TrainConfig.CHECKPOINT_EVERY)) {
            b.set(TrainConfig.CHECKPOINT_EVERY, Math.max(1, given.steps() / 10));
        }
        if (!isGiven.test(TrainConfig.VALIDATION_ATTENTION_STATS)) {
            b.set(TrainConfig.VALIDATION_ATTENTION_STATS, true);
        }
        return b.build();
    }

    private void run(List<Run> list) throws Exception {
        List<Path> trainFiles = input.train();
        List<Path> validFiles = input.valid();
        Path out = input.out();
        if (validFiles == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "Missing validation text: give --valid FILE... (unless --report-only is given)");
        }
        if ((piqa == null) != (piqaLabels == null)) {
            throw new IllegalArgumentException("--piqa and --piqa-labels go together");
        }
        List<MultipleChoice.Item> piqaItems = piqa == null ? null : MultipleChoice.read(piqa, piqaLabels);
        TextCorpus train = TextInputs.corpus(trainFiles, System.in);
        TextCorpus valid = TextInputs.corpus(validFiles, System.in);
        TextCorpus heldOut = heldOutFiles == null ? null : TextInputs.corpus(heldOutFiles, System.in);
        writableFolder(out);

        // One tokenizer for every variant, kept so that an interrupted experiment continues with it.
        Path tokenizerFile = out.resolve(TrainingRecipe.TOKENIZER_FILE);
        BpeTokenizer tokenizer;
        if (Files.exists(tokenizerFile)) {
            tokenizer = TokenizerJson.load(tokenizerFile);
        } else {
            tokenizer = TrainingRecipe.builder().setSettings(settings).optListener(new TrainingRecipe.Listener() {
                @Override
                public void tokenizerTrained(BpeTokenizer t, double seconds) {
                    System.out.printf(Locale.ROOT, "Tokenizer: %d tokens in %.1f s%n", t.vocabSize(), seconds);
                }
            }).build().tokenizer(train);
            TokenizerJson.save(tokenizer, tokenizerFile);
        }
        int[] trainTokens = train.tokens(tokenizer);
        int[] validTokens = valid.tokens(tokenizer);
        tokenizerVocabSize = tokenizer.vocabSize();
        writeSetup(trainFiles, validFiles, train, valid, trainTokens.length, validTokens.length);

        for (Run run : list) {
            AttentionVariant variant = run.variant();
            Path dir = out.resolve(run.id());
            Path evalFile = dir.resolve(ExperimentReport.EVAL_FILE);
            if (Files.exists(evalFile)) {
                System.out.println(run.id() + ": already done");
                continue;
            }
            TrainingRecipe recipe = TrainingRecipe.builder()
                    .setSettings(settings.toBuilder().set(TrainConfig.ATTENTION, variant).set(TrainConfig.SEED, run.seed()).build())
                    .optTokenizer(tokenizer)
                    .optListener(new TrainingRecipe.Listener() {
                        @Override
                        public void modelCreated(LazyLanguageModel lm) {
                            System.out.printf(Locale.ROOT, "%s: %,d parameters%n", run.id(), lm.parameterCount());
                        }

                        @Override
                        public void resuming(int step, int steps, Path checkpoint) {
                            System.out.printf(Locale.ROOT, "%s: resuming at step %d%n", run.id(), step);
                        }
                    }).build();
            TrainResult result;
            if (Files.exists(dir.resolve(LmTrainer.MODEL_FILE))) {
                result = null;
            } else if (Files.exists(dir.resolve(LmTrainer.CHECKPOINT_FILE))) {
                boolean moreSteps = SettingOptions.given(spec, FrontEnd.CLI, TrainConfig.SETTINGS, TrainConfig.STEPS);
                result = recipe.resume(dir, moreSteps ? settings.steps() : null, train, valid);
            } else {
                try (TrainedModel trained = recipe.train(tokenizer, trainTokens, validTokens, dir)) {
                    result = trained.result();
                }
            }
            evaluate(run, dir, valid, heldOut, piqaItems, result);
        }
    }

    private void evaluate(Run run, Path dir, TextCorpus valid, TextCorpus heldOut,
            List<MultipleChoice.Item> piqaItems, TrainResult result) throws IOException {
        try (LazyLanguageModel lm = LazyLanguageModel.load(dir.resolve(LmTrainer.MODEL_FILE), settings.resolvedDevice())) {
            long t = System.nanoTime();
            EvalResult eval = new CorpusEvaluator(lm, ScoringOptions.defaults(lm.config().contextLength())
                    .withAttentionStats(true).withCollapse(true).withBatchSize(4)).evaluate(valid);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("variant", run.variant().id());
            m.put("run", run.id());
            m.put("seed", run.seed());
            m.putAll(eval.toMap());
            m.put("sinkMassPerHead", eval.attention().sinkMassPerHead());
            m.put("parameters", lm.parameterCount());
            m.put("steps", settings.steps());
            if (heldOut != null) {
                // Scored like the validation text: the same windows, the same attention statistics.
                EvalResult h = new CorpusEvaluator(lm, ScoringOptions.defaults(lm.config().contextLength())
                        .withAttentionStats(true).withCollapse(true).withBatchSize(4)).evaluate(heldOut);
                Map<String, Object> held = new LinkedHashMap<>(h.toMap());
                held.remove("sparsityPerLayer");
                m.put("heldOut", held);
            }
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
            System.out.printf(Locale.ROOT, "%s: bits per byte %.4f, sparsity %.3f, sink mass %.4f, sink rate %.3f%n",
                    run.id(), eval.bitsPerByte(), eval.attention().sparsity(), eval.attention().sinkMass(),
                    eval.attention().sinkRate());
        }
    }

    private void writeSetup(List<Path> trainFiles, List<Path> validFiles, TextCorpus train, TextCorpus valid,
            int trainTokens, int validTokens) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("preset", settings.preset());
        m.put("steps", settings.steps());
        m.put("batchSize", settings.batchSize());
        m.put("gradientAccumulation", settings.gradAccum());
        m.put("learningRate", settings.learningRate());
        m.put("weightDecay", settings.weightDecay());
        LmConfig model = settings.config(tokenizerVocabSize);
        m.put("contextLength", model.contextLength());
        m.put("numLayers", model.numLayers());
        m.put("numHeads", model.numHeads());
        m.put("numKvHeads", model.numKvHeads());
        m.put("hiddenSize", model.hiddenSize());
        m.put("startToken", settings.startToken());
        m.put("seed", settings.seed());
        m.put("trainFiles", trainFiles.stream().map(Path::toString).toList());
        m.put("validFiles", validFiles.stream().map(Path::toString).toList());
        m.put("trainBytes", train.bytes());
        m.put("trainTokens", trainTokens);
        m.put("validBytes", valid.bytes());
        m.put("validTokens", validTokens);
        m.put("heldOutFiles", heldOutFiles == null ? List.of() : heldOutFiles.stream().map(Path::toString).toList());
        m.put("machine", Machine.describe());
        Files.writeString(input.out().resolve(ExperimentReport.SETUP_FILE), Json.of(m), StandardCharsets.UTF_8);
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

package dev.lazyattention.lab.bench;

import static dev.lazyattention.train.TrainConfig.ATTENTION;
import static dev.lazyattention.train.TrainConfig.BATCH_SIZE;
import static dev.lazyattention.train.TrainConfig.CHECKPOINT_EVERY;
import static dev.lazyattention.train.TrainConfig.DEVICE;
import static dev.lazyattention.train.TrainConfig.EVAL_EVERY;
import static dev.lazyattention.train.TrainConfig.GRAD_ACCUM;
import static dev.lazyattention.train.TrainConfig.LOG_EVERY;
import static dev.lazyattention.train.TrainConfig.PRESET;
import static dev.lazyattention.train.TrainConfig.PROGRESS;
import static dev.lazyattention.train.TrainConfig.SEED;
import static dev.lazyattention.train.TrainConfig.STEPS;
import static dev.lazyattention.train.TrainConfig.VOCAB_SIZE;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.cli.DeviceOption;
import dev.lazyattention.cli.Main;
import dev.lazyattention.cli.EuroparlEnglish;
import dev.lazyattention.cli.Json;
import dev.lazyattention.cli.ThreadsOption;
import dev.lazyattention.corenlp.LazyLmAnnotations;
import dev.lazyattention.corenlp.LazyLmAnnotator;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScore;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.engine.DjlSetup;
import dev.lazyattention.engine.EngineThreads;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.names.ClosestName;
import dev.lazyattention.train.TrainedModel;
import dev.lazyattention.train.TrainingMonitor;
import dev.lazyattention.train.TrainingRecipe;
import dev.lazyattention.train.TrainConfig;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.util.CoreMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Callable;

/** {@code lazyattn bench}. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure speed and memory against this machine's own matrix-product rate (numbers, never pass/fail).",
            "Every figure is the median of --repeat runs, with their min and max. The phases:",
            "matmul: float32 FLOP/s of a 2048 x 2048 matrix product, the rate MFU is taken against.",
            "train: training tokens/s per variant, FLOPs per token, achieved FLOP/s, MFU, page faults and peak memory;"
                    + " a child JVM per run, the variants in the order A B B A A B ..., lazy/softmax as the median of"
                    + " the per-pair ratios.",
            "layer: one attention layer [4, 256, 256], 8 heads, ms per forward and per forward+backward as JMH times"
                    + " it; a child JVM per run, in the same order, lazy/softmax from the pairs.",
            "score: scoring tokens/s (64 windows, batch 8) and peak resident memory.",
            "generate: greedy decoding with a KV cache, batch 1, decode steps timed alone: the engine against the"
                    + " Java array decoder at 1 and 2 threads; engine calls per step and their cost; the decoder's"
                    + " weight traffic against the streaming read rate of as many threads; DJL's TextGenerator; with"
                    + " --model, dense against sparse attention at contexts 1024, 2048 and 4096.",
            "chunked: one 4096-token document, 512-query blocks against whole-sequence attention: seconds, peak"
                    + " native memory and the largest difference of the log-probabilities.",
            "corenlp: sentences/s through the CoreNLP annotator, batch 1 against 32, and their ratio per turn.",
            "leaks: resident memory over 2,000 training steps and 10,000 annotated sentences.",
            "threads: train and score in child JVMs at each of --thread-counts, idle and beside a busy JVM."})
public final class BenchCommand implements Callable<Integer> {

    /**
     * Entry point of the bench's child JVMs, which take {@code bench ...} arguments: the command line with this
     * command alone, so that the bench needs nothing from the package that assembles the lab's commands.
     */
    public static void main(String[] args) {
        DjlSetup.offline();
        System.exit(Main.commandLine(BenchCommand.class).execute(args));
    }

    /** Every phase --phases accepts, in the order they run. */
    static final String PHASE_NAMES = "matmul, train, score, generate, chunked, corenlp, leaks, layer, threads";

    @Option(names = "--preset", defaultValue = TrainConfig.DEFAULT_PRESET, paramLabel = "tiny|mini|small|base",
            description = "Model preset (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--steps", defaultValue = "12", paramLabel = "N", description = "Timed training steps per variant (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "" + TrainConfig.DEFAULT_BATCH_SIZE,
            paramLabel = "1|2|4|8|16",
            description = "Windows per forward pass in training; 16 / this many accumulation steps (default: ${DEFAULT-VALUE}).")
    int microBatch;

    @Option(names = "--variants", split = ",", defaultValue = "lazy,softmax", paramLabel = "VARIANT",
            description = "Attention variants to train, from lazy, softmax, bias_only, elastic_only, off_by_one, gated,"
                    + " learned_sink (default: ${DEFAULT-VALUE}); one alone suits a profiler.")
    List<String> variants;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--phases", split = ",", defaultValue = "matmul,train,score,generate,chunked,corenlp",
            paramLabel = "PHASE",
            description = "Phases to run, from " + PHASE_NAMES + " (default: ${DEFAULT-VALUE}; see above).")
    List<String> phases;

    @Option(names = "--thread-counts", split = ",", defaultValue = "1,2", paramLabel = "N",
            description = "Intra-op thread counts of the threads phase (default: ${DEFAULT-VALUE}).")
    List<Integer> threadCounts;

    @Option(names = "--repeat", defaultValue = "3", paramLabel = "N",
            description = "Runs behind every figure, reported as median, min and max (default: ${DEFAULT-VALUE}): child"
                    + " JVMs per variant in train and layer (each layer child also times this many 2 s iterations),"
                    + " child JVMs per row of the threads phase, timed runs of the other phases.")
    int repeat;

    /**
     * Set on the bench's own child JVMs: time the train and layer phases here, once, instead of starting
     * children.
     */
    @Option(names = "--child", hidden = true)
    boolean child;

    @Option(names = "--model", paramLabel = "FILE",
            description = "A trained model for the generate phase's dense against sparse attention at long contexts.")
    Path model;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    private final Map<String, Object> results = new LinkedHashMap<>();
    private BpeTokenizer tokenizer;

    @Override
    public Integer call() throws Exception {
        results.put("machine", Machine.describe());
        results.put("preset", preset);
        if (microBatch < 1 || 16 % microBatch != 0) {
            throw new IllegalArgumentException("--batch-size=" + microBatch + ": expected 1, 2, 4, 8 or 16");
        }
        results.put("microBatch", microBatch);
        EngineThreads.Decision engineThreads = EngineThreads.current();
        results.put("intraOpThreads", engineThreads == null ? "libtorch's default" : engineThreads.describe());
        if (repeat < 1) {
            throw new IllegalArgumentException("--repeat must be >= 1, got " + repeat);
        }
        results.put("repeat", repeat);
        List<String> known = List.of(PHASE_NAMES.split(", "));
        for (String p : phases) {
            if (!known.contains(p)) {
                throw new IllegalArgumentException("--phases: unknown phase '" + p + "'; did you mean "
                        + ClosestName.closest(p, known) + "? (known: " + PHASE_NAMES + ")");
            }
        }
        int context = LmConfig.preset(preset).contextLength();
        if (phase("generate") && context <= DecodeBench.STEPS) {
            throw new IllegalArgumentException("--phases generate decodes " + DecodeBench.STEPS + " tokens after a "
                    + "prompt, so it needs a context longer than that; --preset " + preset + " has " + context
                    + " (mini, small and base have more)");
        }
        if (phases.stream().anyMatch(p -> !List.of("matmul", "threads", "layer").contains(p))) {
            tokenizer = syntheticTokenizer();
        }
        double matmul = phase("matmul") ? matmulRate() : Double.NaN;
        if (phase("train")) {
            train(matmul);
        }
        if (phase("score")) {
            score();
        }
        if (phase("generate")) {
            generate();
        }
        if (phase("chunked")) {
            chunked();
        }
        if (phase("corenlp")) {
            corenlp();
        }
        if (phase("leaks")) {
            leaks();
        }
        if (phase("layer")) {
            if (child) {
                results.put("layer", new LayerBench(device.resolve(), repeat)
                        .run(variants.stream().map(AttentionVariant::parse).toList()));
            } else {
                results.put("layer", new LayerAlternation(this).run());
            }
        }
        if (phase("threads")) {
            for (int n : threadCounts) {
                EngineThreads.check(n, "--thread-counts");
            }
            long start = System.nanoTime();
            results.put("threads", new ThreadsBench(preset, steps, microBatch, repeat, threadCounts,
                    Runtime.getRuntime().availableProcessors()).run());
            results.put("threadsPhaseSeconds", (System.nanoTime() - start) / 1e9);
        }
        results.put("libtorchIntraOpThreads", libtorchThreads());
        System.out.println(json ? Json.of(results) : table());
        return 0;
    }

    private boolean phase(String name) {
        return phases.contains(name);
    }

    /**
     * float32 matrix products of 2048 x 2048 through DJL, in FLOP/s: the machine's limit for MFU. Each of
     * --repeat runs multiplies for 1 s; the median is the rate MFU is taken against.
     */
    private double matmulRate() {
        int n = 2048;
        try (NDManager m = NDManager.newBaseManager(device.resolve())) {
            NDArray a = m.randomNormal(new Shape(n, n)); // [n, n]
            NDArray b = m.randomNormal(new Shape(n, n)); // [n, n]
            a.matMul(b).close(); // warm up
            List<Double> rates = new ArrayList<>();
            for (int r = 0; r < repeat; r++) {
                int repeats = 0;
                long start = System.nanoTime();
                while (System.nanoTime() - start < 1_000_000_000L) {
                    try (NDArray c = a.matMul(b)) { // [n, n]
                        c.getFloat(0, 0); // wait for the product
                    }
                    repeats++;
                }
                rates.add(2.0 * n * n * n * repeats / ((System.nanoTime() - start) / 1e9));
            }
            Spread rate = Spread.of(rates);
            results.put("matmulFlopsPerSecond", rate.toMap());
            return rate.median();
        }
    }

    private void train(double matmul) throws Exception {
        if (child) {
            trainHere(matmul);
        } else {
            results.putAll(new TrainAlternation(this, matmul).run());
        }
    }

    /**
     * The command line of a child JVM that times {@code variant} in {@code phase} once, as this bench would:
     * {@code train} trains once; {@code layer} runs --repeat timed iterations.
     */
    List<String> childArguments(String phase, String variant) {
        EngineThreads.Decision decision = EngineThreads.current();
        List<String> args = new ArrayList<>(List.of("bench", "--child", "--json", "--phases", phase,
                "--variants", variant, "--preset", preset, "--steps", Integer.toString(steps),
                "--batch-size", Integer.toString(microBatch), "--repeat", Integer.toString(repeat),
                "--device", device.text()));
        // The child gets this JVM's count explicitly: its own default rule could differ (a -D option of ours
        // it does not inherit).
        args.add(ThreadsOption.NAME);
        args.add(Integer.toString(decision != null ? decision.threads() : libtorchThreads()));
        return args;
    }

    int steps() {
        return steps;
    }

    /** One timed training per variant in this JVM: the figures of one child of {@link TrainAlternation}. */
    private void trainHere(double matmul) throws Exception {
        // The first training in a process pays for growing the native heap (hundreds of thousands of page
        // faults), which would count against whichever variant runs first. Several variants in one process:
        // a short run of every variant first takes that cost out of the timed runs, whatever their order. A child JVM of TrainAlternation times one variant, and every variant's children start alike:
        // the 3 warm-up steps of the timed run are enough there.
        if (!child || variants.size() > 1) {
            for (String name : variants) {
                warmUp(AttentionVariant.parse(name));
            }
        }
        for (String name : variants) {
            AttentionVariant variant = AttentionVariant.parse(name);
            Path dir = Files.createTempDirectory("lazyattn-bench");
            Memory.resetPeak();
            long before = Memory.resident();
            int warmup = 3;
            long[] times = new long[warmup + steps + 1];
            long[] faults = new long[warmup + steps + 1];
            TrainingRecipe recipe = TrainingRecipe.builder().setSettings(trainingSettings(variant, warmup + steps))
                    .optTokenizer(tokenizer).optMonitor(new TrainingMonitor() {
                        @Override
                        public boolean onStep(int step, double loss) {
                            times[step] = System.nanoTime();
                            faults[step] = Memory.minorPageFaults();
                            return true;
                        }
                    }).build();
            int[] tokens = randomTokens(400_000, 7);
            times[0] = System.nanoTime();
            try (TrainedModel trained = recipe.train(tokenizer, tokens, null, dir)) {
                LazyLanguageModel lm = trained.model();
                LmConfig config = lm.config();
                long tokensPerStep = 16L * config.contextLength();
                double seconds = (times[warmup + steps] - times[warmup]) / 1e9;
                double tokensPerSecond = steps * tokensPerStep / seconds;
                long nonEmbedding = lm.parameterCount() - (long) config.vocabSize() * config.hiddenSize();
                double flopsPerToken = 6.0 * nonEmbedding
                        + 6.0 * config.numLayers() * config.contextLength() * config.hiddenSize();
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("tokensPerSecond", tokensPerSecond);
                v.put("parameters", lm.parameterCount());
                v.put("flopsPerToken", flopsPerToken);
                v.put("achievedFlopsPerSecond", tokensPerSecond * flopsPerToken);
                if (Double.isFinite(matmul)) {
                    v.put("mfu", tokensPerSecond * flopsPerToken / matmul);
                }
                v.put("minorPageFaultsPerStep", (double) (faults[warmup + steps] - faults[warmup]) / steps);
                v.put("peakResidentBytes", Memory.peak());
                v.put("peakNativeBytes", Memory.peak() - Memory.heapUsed());
                v.put("residentGrowthBytes", Memory.resident() - before);
                results.put("train." + variant.id(), v);
            } finally {
                deleteTree(dir);
            }
        }
    }

    private void warmUp(AttentionVariant variant) throws Exception {
        Path dir = Files.createTempDirectory("lazyattn-bench");
        try {
            TrainingRecipe.builder().setSettings(trainingSettings(variant, 3)).build()
                    .train(tokenizer, randomTokens(400_000, 7), null, dir).close();
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * The timed runs' recipe: the preset with {@code variant}, 16 windows a step as --batch-size windows per
     * forward pass, no validation, no checkpoint but the last, seed 1.
     */
    private TrainConfig trainingSettings(AttentionVariant variant, int totalSteps) {
        return TrainConfig.builder().set(PRESET, preset).set(ATTENTION, variant).set(STEPS, totalSteps)
                .set(BATCH_SIZE, microBatch).set(GRAD_ACCUM, 16 / microBatch).set(EVAL_EVERY, 0)
                .set(CHECKPOINT_EVERY, 0).set(PROGRESS, false).set(LOG_EVERY, 1000).set(SEED, 1L).set(DEVICE, device.text()).build();
    }

    private void score() {
        LmConfig config = LmConfig.preset(preset).with(LmConfig.VOCAB_SIZE, tokenizer.vocabSize());
        try (LazyLanguageModel lm = LazyLanguageModel.create(config, tokenizer, device.resolve(), 1)) {
            List<ScoringRequest> requests = new ArrayList<>();
            int[] tokens = randomTokens(64 * config.contextLength(), 3);
            for (int i = 0; i < 64; i++) {
                int[] seq = new int[config.contextLength()];
                System.arraycopy(tokens, i * seq.length, seq, 0, seq.length);
                requests.add(new ScoringRequest(seq, 1));
            }
            SequenceScorer scorer = new SequenceScorer(lm, ScoringOptions.defaults(config.contextLength()).withBatchSize(8));
            scorer.score(requests.subList(0, 8)); // warm up
            List<Long> nanos = new ArrayList<>();
            List<Double> peaks = new ArrayList<>();
            for (int r = 0; r < repeat; r++) {
                Memory.resetPeak();
                long start = System.nanoTime();
                scorer.score(requests);
                nanos.add(System.nanoTime() - start);
                peaks.add((double) Memory.peak());
            }
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("tokensPerSecond", Timings.figure(nanos, n -> 64.0 * (config.contextLength() - 1) / (n / 1e9)));
            v.put("peakResidentBytes", Spread.of(peaks).toMap());
            results.put("score", v);
        }
    }

    /**
     * Greedy decoding with a KV cache, batch 1, the preset at its context length, timed on the decode steps
     * (see {@link DecodeBench}); with --model, dense against sparse attention of that model at long contexts.
     */
    private void generate() throws Exception {
        DecodeBench bench = new DecodeBench(Math.max(3, repeat));
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("libtorchIntraOpThreads", DecodeBench.libtorch("getNumThreads", new Class<?>[0]));
        v.put("arrayDecoderThreads", "1 in arrayTokensPerSecond, 2 in arrayTwoThreadsTokensPerSecond (generate uses as many as libtorch was given, at most one per query head)");
        LmConfig config = LmConfig.preset(preset).with(LmConfig.VOCAB_SIZE, tokenizer.vocabSize());
        try (LazyLanguageModel lm = LazyLanguageModel.create(config, tokenizer, device.resolve(), 1)) {
            int[] prompt = randomTokens(config.contextLength() - DecodeBench.STEPS, 5);
            v.put(preset, bench.engineAgainstArrays(lm, prompt));
            Path file = Files.createTempFile("lazyattn-bench", ".lazylm.zip");
            try {
                lm.save(file);
                v.put("djlTextGenerator", bench.textGenerator(file, prompt));
            } finally {
                Files.deleteIfExists(file);
            }
        }
        if (model != null) {
            try (LazyLanguageModel lm = LazyLanguageModel.load(model, device.resolve())) {
                int[] contexts = {1024, 2048, 4096};
                List<Integer> text = new ArrayList<>();
                for (String document : EuroparlEnglish.documents()) {
                    for (int id : lm.tokenizer().encode(document + "\n\n")) {
                        text.add(id);
                    }
                    if (text.size() > 4096) {
                        break;
                    }
                }
                v.put("sparse", Map.of("model", model.toString(),
                        "contexts", bench.sparseAgainstDense(lm, text.stream().mapToInt(Integer::intValue).toArray(),
                                contexts)));
            }
        }
        results.put("decode", v);
    }

    /** One 4096-token document, attention whole against 512 queries at a time, --repeat times each. */
    private void chunked() {
        int length = 4096;
        LmConfig config = LmConfig.preset(preset).with(LmConfig.VOCAB_SIZE, tokenizer.vocabSize())
                .with(LmConfig.CONTEXT_LENGTH, length)
                .with(LmConfig.BIAS_LENGTH, 256);
        try (LazyLanguageModel lm = LazyLanguageModel.create(config, tokenizer, device.resolve(), 1)) {
            ScoringRequest request = new ScoringRequest(randomTokens(length, 9), 1);
            ScoringOptions whole = new ScoringOptions(length, length / 2, 1, false, 0);
            List<Long> chunkedNanos = new ArrayList<>();
            List<Long> wholeNanos = new ArrayList<>();
            List<Double> chunkedPeaks = new ArrayList<>();
            List<Double> wholePeaks = new ArrayList<>();
            List<Double> memoryRatios = new ArrayList<>();
            double maxDiff = 0;
            for (int r = 0; r < repeat; r++) {
                double[][] scores = new double[2][];
                long[] peaks = new long[2];
                int[] chunks = {512, 0};
                for (int c = 0; c < 2; c++) {
                    Memory.resetPeak();
                    long baseline = Memory.resident();
                    long start = System.nanoTime();
                    SequenceScore s = new SequenceScorer(lm, whole.withQueryChunk(chunks[c])).score(request);
                    (c == 0 ? chunkedNanos : wholeNanos).add(System.nanoTime() - start);
                    peaks[c] = Memory.peak() - baseline;
                    scores[c] = s.logProbabilities();
                }
                chunkedPeaks.add((double) peaks[0]);
                wholePeaks.add((double) peaks[1]);
                memoryRatios.add((double) peaks[0] / peaks[1]);
                for (int i = 0; i < scores[1].length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(scores[1][i] - scores[0][i]));
                }
            }
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("chunkedPeakNativeBytes", Spread.of(chunkedPeaks).toMap());
            v.put("chunkedSeconds", Timings.figure(chunkedNanos, n -> n / 1e9));
            v.put("wholePeakNativeBytes", Spread.of(wholePeaks).toMap());
            v.put("wholeSeconds", Timings.figure(wholeNanos, n -> n / 1e9));
            v.put("maxAbsDifference", maxDiff); // the largest over every run: a bound, not a timing
            v.put("memoryRatio", Spread.of(memoryRatios).toMap());
            results.put("chunked4096", v);
        }
    }

    /**
     * Sentences per second through the CoreNLP annotator, batch 1 against batch 32, in turn --repeat times;
     * the speedup is the median of each turn's ratio.
     */
    private void corenlp() throws Exception {
        LmConfig config = LmConfig.preset(preset).with(LmConfig.VOCAB_SIZE, tokenizer.vocabSize());
        Path dir = Files.createTempDirectory("lazyattn-bench");
        try {
            Path model = dir.resolve("model.lazylm.zip");
            try (LazyLanguageModel lm = LazyLanguageModel.create(config, tokenizer, device.resolve(), 1)) {
                lm.save(model);
            }
            String text = String.join("\n\n", EuroparlEnglish.documents().subList(0, 40));
            int[] batches = {1, 32};
            StanfordCoreNLP[] pipelines = new StanfordCoreNLP[batches.length];
            for (int b = 0; b < batches.length; b++) {
                Properties p = new Properties();
                p.setProperty("annotators", "tokenize,ssplit,lazylm");
                p.setProperty("customAnnotatorClass.lazylm", LazyLmAnnotator.class.getName());
                p.setProperty("lazylm.model", model.toString());
                p.setProperty("lazylm.device", device.text());
                p.setProperty("lazylm.batchSize", Integer.toString(batches[b]));
                pipelines[b] = new StanfordCoreNLP(p);
                pipelines[b].annotate(new Annotation("Warm up the pipeline. It has two sentences."));
                pipelines[b].annotate(new Annotation(text.substring(0, 2000)));
            }
            List<List<Long>> nanos = List.of(new ArrayList<>(), new ArrayList<>());
            int sentenceCount = 0;
            for (int r = 0; r < repeat; r++) {
                for (int b = 0; b < batches.length; b++) {
                    Annotation doc = new Annotation(text);
                    long start = System.nanoTime();
                    pipelines[b].annotate(doc);
                    nanos.get(b).add(System.nanoTime() - start);
                    List<CoreMap> sentences = doc.get(CoreAnnotations.SentencesAnnotation.class);
                    if (sentences.get(0).get(LazyLmAnnotations.SentenceLogProbability.class) == null) {
                        throw new IllegalStateException("the annotator did not run");
                    }
                    sentenceCount = sentences.size();
                }
            }
            int count = sentenceCount;
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("sentences", count);
            for (int b = 0; b < batches.length; b++) {
                v.put("batch" + batches[b] + "SentencesPerSecond", Timings.figure(nanos.get(b), n -> count / (n / 1e9)));
            }
            List<Double> speedups = new ArrayList<>();
            for (int r = 0; r < repeat; r++) {
                speedups.add((double) nanos.get(0).get(r) / nanos.get(1).get(r));
            }
            v.put("batchSpeedup", Spread.of(speedups).toMap());
            results.put("corenlp", v);
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * Native memory over 2,000 training steps and 10,000 annotated sentences (tiny model, context 64), each
     * --repeat times from a fresh model and pipeline; the growth is the median of the runs'.
     */
    private void leaks() throws Exception {
        List<List<Long>> trainRuns = new ArrayList<>();
        List<List<Long>> annotateRuns = new ArrayList<>();
        for (int r = 0; r < repeat; r++) {
            Path dir = Files.createTempDirectory("lazyattn-bench");
            try {
                List<Long> trainSamples = new ArrayList<>();
                TrainConfig tiny = TrainConfig.builder().set(PRESET, "tiny").set(STEPS, 2000).set(BATCH_SIZE, 8)
                        .set(GRAD_ACCUM, 1).set(EVAL_EVERY, 0).set(CHECKPOINT_EVERY, 0).set(PROGRESS, false)
                        .set(LOG_EVERY, 1000).set(SEED, 1L).set(DEVICE, device.text()).build();
                Path model;
                try (TrainedModel trained = TrainingRecipe.builder().setSettings(tiny).optTokenizer(tokenizer)
                        .optMonitor(new TrainingMonitor() {
                            @Override
                            public boolean onStep(int step, double loss) {
                                if (step % 100 == 0) {
                                    trainSamples.add(Memory.resident());
                                }
                                return true;
                            }
                        }).build().train(tokenizer, randomTokens(200_000, 4), null, dir.resolve("train"))) {
                    model = trained.result().model();
                }
                trainRuns.add(trainSamples);

                Properties p = new Properties();
                p.setProperty("annotators", "tokenize,ssplit,lazylm");
                p.setProperty("customAnnotatorClass.lazylm", LazyLmAnnotator.class.getName());
                p.setProperty("lazylm.model", model.toString());
                p.setProperty("lazylm.device", device.text());
                StanfordCoreNLP pipeline = new StanfordCoreNLP(p);
                List<String> documents = EuroparlEnglish.documents();
                List<Long> annotateSamples = new ArrayList<>();
                int sentences = 0;
                for (int i = 0; sentences < 10_000; i++) {
                    Annotation doc = new Annotation(documents.get(i % documents.size()));
                    pipeline.annotate(doc);
                    int before = sentences;
                    sentences += doc.get(CoreAnnotations.SentencesAnnotation.class).size();
                    if (sentences / 500 != before / 500) {
                        annotateSamples.add(Memory.resident());
                    }
                }
                annotateRuns.add(annotateSamples);
            } finally {
                deleteTree(dir);
            }
        }
        results.put("leaks.train", growth(trainRuns));
        results.put("leaks.annotate", growth(annotateRuns));
    }

    /**
     * Resident memory after the first quarter of each run's samples (warm-up) against its last one; spreads
     * over the runs.
     */
    private static Map<String, Object> growth(List<List<Long>> runs) {
        List<Double> warm = new ArrayList<>();
        List<Double> last = new ArrayList<>();
        List<Double> growth = new ArrayList<>();
        for (List<Long> samples : runs) {
            long w = samples.get(samples.size() / 4);
            long l = samples.get(samples.size() - 1);
            warm.add((double) w);
            last.add((double) l);
            growth.add((double) (l - w) / w);
        }
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("samples", runs);
        v.put("afterWarmupBytes", Spread.of(warm).toMap());
        v.put("lastBytes", Spread.of(last).toMap());
        v.put("growth", Spread.of(growth).toMap());
        return v;
    }

    /** A BPE of the preset's size, at most 4,096 tokens, from the embedded English corpus. */
    private BpeTokenizer syntheticTokenizer() throws Exception {
        int size = LmConfig.preset(preset).vocabSize();
        return TrainingRecipe.of(TrainConfig.builder().set(PRESET, preset)
                .set(VOCAB_SIZE, Math.min(size, 4096)).build())
                .tokenizer(TextCorpus.of(EuroparlEnglish.documents(), "Europarl English"));
    }

    private int[] randomTokens(int n, long seed) {
        Random random = new Random(seed);
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = random.nextInt(tokenizer.vocabSize() - 1);
        }
        return tokens;
    }

    /** libtorch's own intra-op thread count (its get_num_threads), once the engine runs; -1 if unknown. */
    static int libtorchThreads() {
        try {
            // The PyTorch engine is a runtime dependency only: reached by name.
            return (Integer) Class.forName("ai.djl.pytorch.jni.JniUtils").getMethod("getNumThreads").invoke(null);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return -1;
        }
    }

    private static double time(Runnable r) {
        long start = System.nanoTime();
        r.run();
        return (System.nanoTime() - start) / 1e9;
    }

    /** Deletes a temporary folder and everything in it. */
    static void deleteTree(Path dir) throws java.io.IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @SuppressWarnings("unchecked")
    private String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(results.get("machine")).append('\n');
        for (Map.Entry<String, Object> e : results.entrySet()) {
            if (e.getKey().equals("threads") && e.getValue() instanceof List) {
                sb.append(String.format(Locale.ROOT, "threads (preset %s, %d timed training steps of 16 windows, "
                        + "64 windows scored; a child JVM per run)%n", preset, steps));
                sb.append(ThreadsBench.markdown((List<Map<String, Object>>) e.getValue()));
            } else if (e.getValue() instanceof Map && !isFigure(e.getValue())) {
                sb.append(e.getKey()).append('\n');
                for (Map.Entry<String, Object> f : ((Map<String, Object>) e.getValue()).entrySet()) {
                    if (f.getValue() instanceof Map && !isFigure(f.getValue())) {
                        sb.append("  ").append(f.getKey()).append('\n');
                        for (Map.Entry<String, Object> g : ((Map<String, Object>) f.getValue()).entrySet()) {
                            sb.append(String.format(Locale.ROOT, "    %-26s %s%n", g.getKey(), format(g.getValue())));
                        }
                    } else {
                        sb.append(String.format(Locale.ROOT, "  %-28s %s%n", f.getKey(), format(f.getValue())));
                    }
                }
            } else if (!e.getKey().equals("machine")) {
                sb.append(String.format(Locale.ROOT, "%-30s %s%n", e.getKey(), format(e.getValue())));
            }
        }
        return sb.toString();
    }

    /** A figure of {@link Spread#toMap()} or {@link Timings#figure}, printed on one line. */
    private static boolean isFigure(Object v) {
        return v instanceof Map && (((Map<?, ?>) v).containsKey("median") || ((Map<?, ?>) v).containsKey("notMeasured"));
    }

    @SuppressWarnings("unchecked")
    private static String format(Object v) {
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Math.abs(d) >= 1000 ? String.format(Locale.ROOT, "%,.0f", d) : String.format(Locale.ROOT, "%.4g", d);
        }
        if (isFigure(v)) {
            Map<String, Object> m = (Map<String, Object>) v;
            if (m.containsKey("notMeasured")) {
                return "not measured: " + m.get("notMeasured");
            }
            double median = (Double) m.get("median");
            String pattern = Math.abs(median) >= 1000 ? "%,.0f" : "%.4g";
            String line = String.format(Locale.ROOT, "%s (%s-%s), median (min-max) of %d",
                    String.format(Locale.ROOT, pattern, median), String.format(Locale.ROOT, pattern, m.get("min")),
                    String.format(Locale.ROOT, pattern, m.get("max")), ((List<?>) m.get("runs")).size());
            return m.containsKey("measured") ? line + "; " + m.get("measured") : line;
        }
        if (v instanceof Map) {
            return Json.of(v);
        }
        return String.valueOf(v);
    }

}

package dev.lazyattention.cli;

import static dev.lazyattention.train.TrainConfig.CHECKPOINT_EVERY;
import static dev.lazyattention.train.TrainConfig.DEVICE;
import static dev.lazyattention.train.TrainConfig.EVAL_EVERY;
import static dev.lazyattention.train.TrainConfig.PRESET;
import static dev.lazyattention.train.TrainConfig.PROGRESS;
import static dev.lazyattention.train.TrainConfig.SEED;
import static dev.lazyattention.train.TrainConfig.STEPS;
import static dev.lazyattention.train.TrainConfig.VOCAB_SIZE;
import static dev.lazyattention.train.TrainConfig.WARMUP_STEPS;

import ai.djl.Device;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScore;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.generate.GenerationOptions;
import dev.lazyattention.generate.Generator;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.train.TrainResult;
import dev.lazyattention.train.TrainingRecipe;
import dev.lazyattention.train.TrainConfig;
import dev.lazyattention.engine.DeviceChoice;
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
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code lazyattn check-device}: the same model on the CPU and on another device (a GPU by default) must
 * give the same token log-probabilities, attention diagnostics and training losses; prints both speeds.
 * Exit status 0 when every difference is within the tolerance, 1 otherwise.
 */
@Command(name = "check-device", mixinStandardHelpOptions = true,
        description = "Compare a device (default gpu) with the CPU: outputs within a tolerance, and speed.")
final class CheckDeviceCommand implements Callable<Integer> {

    @Option(names = "--device", defaultValue = "gpu", paramLabel = "gpu|gpu:N|auto|cpu",
            description = "Device compared with the CPU (default: ${DEFAULT-VALUE}); on the CPU, a dry run of this check.")
    String device;

    @Option(names = "--model", paramLabel = "FILE",
            description = "A .lazylm.zip to compare (default: a fresh model of --preset, tokenizer from the demo corpus).")
    Path modelFile;

    @Option(names = "--preset", defaultValue = TrainConfig.DEFAULT_PRESET, paramLabel = "tiny|mini|small|base",
            description = "Preset of the fresh model (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--sequences", defaultValue = "16", paramLabel = "N", description = "Sequences scored (default: ${DEFAULT-VALUE}).")
    int sequences;

    @Option(names = "--train-steps", defaultValue = "5", paramLabel = "N", description = "Training steps compared (default: ${DEFAULT-VALUE}).")
    int trainSteps;

    @Option(names = "--tolerance", defaultValue = "1e-3", paramLabel = "X",
            description = "Largest absolute difference allowed (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Override
    public Integer call() throws Exception {
        Device other = DeviceChoice.resolve(device, "--device");
        if (other.equals(Device.cpu())) {
            System.err.println("check-device: comparing the CPU with itself (a dry run of this check)");
        }
        Path work = Files.createTempDirectory("lazyattn-check-device");
        try {
            return compare(other, work);
        } finally {
            deleteTree(work);
        }
    }

    private int compare(Device other, Path work) throws Exception {
        Path file = modelFile != null ? modelFile : freshModel(work.resolve("fresh.lazylm.zip"));

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("device", other.toString());
        report.put("model", modelFile != null ? modelFile.toString() : "fresh " + preset);
        boolean ok = true;
        try (LazyLanguageModel cpu = LazyLanguageModel.load(file, Device.cpu());
                LazyLanguageModel dev = LazyLanguageModel.load(file, other)) {
            List<ScoringRequest> requests = randomRequests(cpu);
            ScoringOptions options = ScoringOptions.defaults(cpu.config().contextLength()).withAttentionStats(true);
            Timed<List<SequenceScore>> a = time(() -> new SequenceScorer(cpu, options).score(requests));
            new SequenceScorer(dev, options).score(requests); // warm-up: kernels load on first use
            Timed<List<SequenceScore>> b = time(() -> new SequenceScorer(dev, options).score(requests));
            double maxLogProb = 0;
            double maxSparsity = 0;
            double maxSink = 0;
            long tokens = 0;
            for (int i = 0; i < requests.size(); i++) {
                double[] x = a.value().get(i).logProbabilities();
                double[] y = b.value().get(i).logProbabilities();
                tokens += x.length;
                for (int t = 0; t < x.length; t++) {
                    maxLogProb = Math.max(maxLogProb, Math.abs(x[t] - y[t]));
                }
                maxSparsity = Math.max(maxSparsity,
                        Math.abs(a.value().get(i).attention().sparsity() - b.value().get(i).attention().sparsity()));
                maxSink = Math.max(maxSink,
                        Math.abs(a.value().get(i).attention().sinkMass() - b.value().get(i).attention().sinkMass()));
            }
            ok &= maxLogProb <= tolerance && maxSparsity <= tolerance && maxSink <= tolerance;
            report.put("maxTokenLogProbDifference", maxLogProb);
            report.put("maxSparsityDifference", maxSparsity);
            report.put("maxSinkMassDifference", maxSink);
            report.put("cpuScoringTokensPerSecond", tokens / a.seconds());
            report.put("deviceScoringTokensPerSecond", tokens / b.seconds());

            GenerationOptions greedy = GenerationOptions.greedy(32);
            String cpuText = new Generator(cpu).generate("The", greedy).text();
            String devText = new Generator(dev).generate("The", greedy).text();
            report.put("greedyGenerationEqual", cpuText.equals(devText)); // ties may differ: reported, not required
        }

        if (trainSteps > 0) {
            double[] cpuLoss = trainLosses(file, Device.cpu(), work.resolve("train-cpu"));
            double[] devLoss = trainLosses(file, other, work.resolve("train-device"));
            double maxLoss = Math.abs(cpuLoss[0] - devLoss[0]);
            ok &= maxLoss <= tolerance * 10; // several optimizer steps compound rounding: a looser bound
            report.put("trainLossCpu", cpuLoss[0]);
            report.put("trainLossDevice", devLoss[0]);
            report.put("cpuTrainingTokensPerSecond", cpuLoss[1]);
            report.put("deviceTrainingTokensPerSecond", devLoss[1]);
        }
        report.put("tolerance", tolerance);
        report.put("pass", ok);
        if (json) {
            System.out.println(Json.of(report));
        } else {
            report.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-32s %s%n", k,
                    v instanceof Double d ? String.format(Locale.ROOT, "%.6g", d) : v));
        }
        return ok ? 0 : 1;
    }

    /** An untrained model of the preset, with a 1,024-token BPE from the demo corpus, made on the CPU. */
    private Path freshModel(Path file) throws Exception {
        TrainingRecipe recipe = TrainingRecipe.of(TrainConfig.builder().set(PRESET, preset).set(VOCAB_SIZE, 1024)
                .set(DEVICE, "cpu").build());
        BpeTokenizer tokenizer = recipe.tokenizer(TextCorpus.of(EuroparlEnglish.documents().subList(0, 200), "Europarl"));
        try (LazyLanguageModel lm = recipe.createModel(tokenizer)) {
            lm.save(file);
        }
        return file;
    }

    private List<ScoringRequest> randomRequests(LazyLanguageModel lm) {
        Random random = new Random(7);
        int length = Math.min(lm.config().contextLength(), 256);
        List<ScoringRequest> requests = new ArrayList<>();
        for (int s = 0; s < sequences; s++) {
            int[] ids = new int[length];
            for (int i = 0; i < length; i++) {
                ids[i] = random.nextInt(lm.tokenizer().vocabSize());
            }
            requests.add(new ScoringRequest(ids, 1));
        }
        return requests;
    }

    /** {final training loss, training tokens per second} of a few steps from the same start and seed. */
    private double[] trainLosses(Path file, Device on, Path out) throws Exception {
        int[] tokens = new int[1 << 16];
        Random random = new Random(11);
        try (LazyLanguageModel lm = LazyLanguageModel.load(file, on)) {
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = random.nextInt(lm.tokenizer().vocabSize());
            }
            TrainConfig settings = TrainConfig.builder().set(STEPS, trainSteps).set(SEED, 5L).set(WARMUP_STEPS, 1)
                    .set(EVAL_EVERY, 0).set(CHECKPOINT_EVERY, 0).set(PROGRESS, false).build();
            TrainResult r = TrainingRecipe.of(settings).train(lm, tokens, null, out);
            return new double[] {r.trainLoss(), r.tokensPerSecond()};
        }
    }

    private record Timed<T>(T value, double seconds) {}

    private interface Work<T> {
        T run() throws Exception;
    }

    private static <T> Timed<T> time(Work<T> work) throws Exception {
        long start = System.nanoTime();
        T value = work.run();
        return new Timed<>(value, (System.nanoTime() - start) / 1e9);
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}

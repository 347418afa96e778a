package dev.lazyattention.lab.spark;

import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.engine.DjlSetup;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.spark.LazyLmScoring;
import dev.lazyattention.spark.OutputLevel;
import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.train.TrainingRecipe;
import dev.lazyattention.train.TrainConfig;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;

/**
 * Documents per second of {@link LazyLmScoring} in {@code local[N]} for several N, and the scaling from the
 * first N to each other. The documents are the first non-blank lines of a text file (gzip allowed); the model
 * is a given file or a fresh, untrained one of a preset (scoring costs the same), with a tokenizer trained on
 * the documents. Each N gets its own session; input is cached in memory first and a warm-up run loads the
 * model, so the timed runs measure scoring alone. Output goes to Spark's {@code noop} sink.
 *
 * <p>Set {@code OMP_NUM_THREADS=1} (and {@code -Dai.djl.pytorch.num_threads=1}): each Spark task then uses one
 * core, and N tasks use N.
 */
@Command(name = "ScalingBenchmark", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = "Documents per second of Spark scoring in local[N], and the scaling ratio.")
public final class ScalingBenchmark implements Callable<Integer> {

    @Option(names = "--input", required = true, description = "text file, a document per line (.gz allowed)")
    Path input;

    @Option(names = "--documents", defaultValue = "4000", description = "documents to score")
    int documents;

    @Option(names = "--model", description = "a .lazylm.zip (default: a fresh model of --preset)")
    Path model;

    @Option(names = "--preset", defaultValue = TrainConfig.DEFAULT_PRESET, description = "preset of the fresh model")
    String preset;

    @Option(names = {"--vocab-size", "--vocab"}, description = "fresh model's BPE vocabulary (default: the preset's)")
    Integer vocab;

    @Option(names = "--cores", defaultValue = "1,2", split = ",", description = "N of each local[N] run")
    List<Integer> cores;

    @Option(names = "--partitions-per-core", defaultValue = "4",
            description = "input partitions per core, so that tasks even out")
    int partitionsPerCore;

    @Option(names = "--repeats", defaultValue = "3", description = "timed runs per N; the best counts")
    int repeats;

    @Option(names = "--level", defaultValue = "documents", description = "documents, sentences or both")
    String level;

    @Option(names = "--documents-per-batch", defaultValue = "64", description = "documents a task scores together")
    int documentsPerBatch;

    @Option(names = "--batch-size", defaultValue = "16", description = "windows per forward pass")
    int batchSize;

    public static void main(String[] args) {
        DjlSetup.offline();
        System.exit(new CommandLine(new ScalingBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        List<String> texts = readDocuments();
        Path modelFile = model != null ? model : freshModel(texts);
        ScoringConfig cfg = ScoringConfig.of(modelFile.toString()).with(ScoringConfig.DEVICE, "cpu")
                .with(ScoringConfig.BATCH_SIZE, batchSize)
                .with(ScoringConfig.DOCUMENTS_PER_BATCH, documentsPerBatch);
        OutputLevel outputLevel = OutputLevel.parse(level);
        long chars = texts.stream().mapToLong(String::length).sum();
        System.out.printf(Locale.ROOT, "documents=%d meanChars=%.1f model=%s level=%s OMP_NUM_THREADS=%s%n",
                texts.size(), (double) chars / texts.size(), modelFile, outputLevel, System.getenv("OMP_NUM_THREADS"));
        double first = Double.NaN;
        for (int n : cores) {
            double perSecond = documentsPerSecond(n, texts, cfg, outputLevel);
            if (Double.isNaN(first)) {
                first = perSecond;
            }
            System.out.printf(Locale.ROOT, "local[%d]: %.1f documents/s, scaling x%.2f over local[%d]%n", n,
                    perSecond, perSecond / first, cores.get(0));
        }
        return 0;
    }

    private double documentsPerSecond(int n, List<String> texts, ScoringConfig cfg, OutputLevel outputLevel) {
        SparkSession spark = SparkSession.builder().master("local[" + n + "]").appName("lazylm-scaling")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            StructType schema = DataTypes.createStructType(List.of(
                    DataTypes.createStructField("id", DataTypes.IntegerType, false),
                    DataTypes.createStructField("text", DataTypes.StringType, false)));
            List<Row> rows = new ArrayList<>(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                rows.add(RowFactory.create(i, texts.get(i)));
            }
            Dataset<Row> docs = spark.createDataFrame(rows, schema).repartition(n * partitionsPerCore).cache();
            docs.count();
            // Warm-up: loads the model into this JVM's cache and compiles the hot paths.
            run(docs.limit(Math.min(200, texts.size())), cfg, outputLevel);
            double best = Double.POSITIVE_INFINITY;
            for (int r = 0; r < repeats; r++) {
                long cpuStart = processCpuNanos();
                long start = System.nanoTime();
                run(docs, cfg, outputLevel);
                double seconds = (System.nanoTime() - start) / 1e9;
                double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
                // Cores actually used: on a shared machine fewer than N, and then the scaling says more about
                // the machine than about the job.
                System.out.printf(Locale.ROOT, "  local[%d] run %d: %.2f s, %.1f CPU s (%.2f cores busy)%n", n, r + 1,
                        seconds, cpuSeconds, cpuSeconds / seconds);
                best = Math.min(best, seconds);
            }
            return texts.size() / best;
        } finally {
            spark.stop();
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void run(Dataset<Row> docs, ScoringConfig cfg, OutputLevel outputLevel) {
        LazyLmScoring.score(docs, "text", cfg, outputLevel).write().format("noop").mode("overwrite").save();
    }

    private List<String> readDocuments() throws IOException {
        List<String> texts = new ArrayList<>(documents);
        try (InputStream raw = Files.newInputStream(input);
                InputStream in = input.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null && texts.size() < documents; line = reader.readLine()) {
                if (!line.isBlank()) {
                    texts.add(line.strip());
                }
            }
        }
        if (texts.isEmpty()) {
            throw new IllegalArgumentException(input + ": no documents (non-blank lines)");
        }
        return texts;
    }

    /** The training recipe's tokenizer and fresh model of the preset, on the CPU, without training. */
    private Path freshModel(List<String> texts) throws IOException {
        var settings = TrainConfig.builder().set(TrainConfig.PRESET, preset)
                .set(TrainConfig.DEVICE, "cpu").set(TrainConfig.VOCAB_SIZE, vocab);
        TrainingRecipe recipe = TrainingRecipe.of(settings.build());
        BpeTokenizer tokenizer = recipe.tokenizer(TextCorpus.of(texts, input.toString()));
        Path file = Files.createTempFile("scaling-", ".lazylm.zip");
        file.toFile().deleteOnExit();
        try (LazyLanguageModel lm = recipe.createModel(tokenizer)) {
            lm.save(file);
        }
        return file;
    }
}

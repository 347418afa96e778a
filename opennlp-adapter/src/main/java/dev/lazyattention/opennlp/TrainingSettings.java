package dev.lazyattention.opennlp;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.train.TrainOptions;
import dev.lazyattention.lm.DeviceChoice;
import opennlp.tools.util.TrainingParameters;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@link TrainingParameters} that {@link LazyAttentionModel#train} understands, read and checked before
 * any work starts. OpenNLP's own name is used where one exists; the rest live under {@code lazylm.}:
 *
 * <table>
 * <caption>Training parameters</caption>
 * <tr><th>name</th><th>meaning</th><th>default</th></tr>
 * <tr><td>{@code Iterations}</td><td>optimizer steps</td><td>1000</td></tr>
 * <tr><td>{@code lazylm.preset}</td><td>model size: {@code tiny}, {@code small}, {@code base}</td><td>small</td></tr>
 * <tr><td>{@code lazylm.attention}</td><td>{@code lazy}, {@code softmax}, {@code bias_only}, {@code elastic_only}</td><td>lazy</td></tr>
 * <tr><td>{@code lazylm.vocabSize}</td><td>tokenizer size (at least 257)</td><td>the preset's</td></tr>
 * <tr><td>{@code lazylm.contextLength}</td><td>longest window the model sees, in tokens</td><td>the preset's</td></tr>
 * <tr><td>{@code lazylm.seed}</td><td>seed of the initial weights and the data order</td><td>1234</td></tr>
 * <tr><td>{@code lazylm.learningRate}</td><td>peak learning rate</td><td>0.001</td></tr>
 * <tr><td>{@code lazylm.batchSize}</td><td>windows per forward pass</td><td>4</td></tr>
 * <tr><td>{@code lazylm.gradAccum}</td><td>forward passes per optimizer step</td><td>4</td></tr>
 * <tr><td>{@code lazylm.warmupSteps}</td><td>linear warmup steps</td><td>a tenth of the steps, at most 200</td></tr>
 * <tr><td>{@code lazylm.device}</td><td>{@code auto}, {@code cpu}, {@code gpu}, {@code gpu:N}</td><td>{@code lazyattention.device}, else auto</td></tr>
 * <tr><td>{@code lazylm.outputDir}</td><td>folder for the checkpoint, the metrics log and the model file</td><td>a temporary folder, deleted after training succeeds</td></tr>
 * <tr><td>{@code lazylm.progressBar}</td><td>print a progress bar</td><td>false</td></tr>
 * </table>
 *
 * <p>Values may be numbers or text (as read from a parameters file). OpenNLP's {@code Algorithm}, {@code
 * TrainerType}, {@code Cutoff} and {@code Threads} do not apply to this model and are ignored; an unknown
 * {@code lazylm.} name is refused, so that a misspelt option does not silently fall back to its default.
 */
public final class TrainingSettings {

    /** OpenNLP's iteration count: the number of optimizer steps. */
    public static final String ITERATIONS = TrainingParameters.ITERATIONS_PARAM;
    /** Namespace of this model's parameters. */
    public static final String NAMESPACE = "lazylm";
    public static final String PRESET = "lazylm.preset";
    public static final String ATTENTION = "lazylm.attention";
    public static final String VOCAB_SIZE = "lazylm.vocabSize";
    public static final String CONTEXT_LENGTH = "lazylm.contextLength";
    public static final String SEED = "lazylm.seed";
    public static final String LEARNING_RATE = "lazylm.learningRate";
    public static final String BATCH_SIZE = "lazylm.batchSize";
    public static final String GRAD_ACCUM = "lazylm.gradAccum";
    public static final String WARMUP_STEPS = "lazylm.warmupSteps";
    public static final String DEVICE = "lazylm.device";
    public static final String OUTPUT_DIR = "lazylm.outputDir";
    public static final String PROGRESS_BAR = "lazylm.progressBar";

    private static final List<String> KNOWN = List.of(PRESET, ATTENTION, VOCAB_SIZE, CONTEXT_LENGTH, SEED,
            LEARNING_RATE, BATCH_SIZE, GRAD_ACCUM, WARMUP_STEPS, DEVICE, OUTPUT_DIR, PROGRESS_BAR);

    static final int DEFAULT_ITERATIONS = 1000;
    static final String DEFAULT_PRESET = "small";

    private final int iterations;
    private final String preset;
    private final AttentionVariant attention;
    private final int vocabSize;
    private final Integer contextLength;
    private final long seed;
    private final float learningRate;
    private final int batchSize;
    private final int gradAccum;
    private final Integer warmupSteps;
    private final Device device;
    private final Path outputDir;
    private final boolean progressBar;

    private TrainingSettings(TrainingParameters params) {
        Map<String, Object> top = params.getObjectSettings();
        Map<String, Object> own = params.getObjectSettings(NAMESPACE);
        for (String key : own.keySet()) {
            if (!KNOWN.contains(NAMESPACE + "." + key)) {
                throw new IllegalArgumentException("unknown training parameter " + NAMESPACE + "." + key
                        + "; known ones are " + ITERATIONS + " and " + String.join(", ", KNOWN));
            }
        }
        iterations = positive(ITERATIONS, top.get(ITERATIONS), DEFAULT_ITERATIONS);
        preset = text(PRESET, own.get("preset"), DEFAULT_PRESET).toLowerCase(Locale.ROOT);
        LmConfig.Builder base;
        try {
            base = LmConfig.preset(preset);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PRESET + ": " + e.getMessage(), e);
        }
        try {
            attention = AttentionVariant.parse(text(ATTENTION, own.get("attention"), AttentionVariant.LAZY.id()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ATTENTION + ": " + e.getMessage(), e);
        }
        vocabSize = whole(VOCAB_SIZE, own.get("vocabSize"), base.build().vocabSize(), 257);
        Object context = own.get("contextLength");
        contextLength = context == null ? null : whole(CONTEXT_LENGTH, context, 0, 2);
        seed = longValue(SEED, own.get("seed"), 1234L);
        learningRate = rate(LEARNING_RATE, own.get("learningRate"), 1e-3f);
        batchSize = positive(BATCH_SIZE, own.get("batchSize"), 4);
        gradAccum = positive(GRAD_ACCUM, own.get("gradAccum"), 4);
        Object warmup = own.get("warmupSteps");
        warmupSteps = warmup == null ? null : whole(WARMUP_STEPS, warmup, 0, 0);
        String deviceName = text(DEVICE, own.get("device"), null);
        device = deviceName == null ? DeviceChoice.fromEnvironment() : DeviceChoice.resolve(deviceName, DEVICE);
        outputDir = folder(text(OUTPUT_DIR, own.get("outputDir"), null));
        progressBar = bool(PROGRESS_BAR, own.get("progressBar"), false);
        // The architecture with the preset's vocabulary: refuses a bad context length before any work.
        config(base.build().vocabSize());
    }

    /**
     * Reads and checks the parameters.
     *
     * @param params the parameters, or null for all defaults
     * @throws IllegalArgumentException naming the first parameter whose value is bad
     */
    public static TrainingSettings from(TrainingParameters params) {
        return new TrainingSettings(params == null ? new TrainingParameters() : params);
    }

    /** The architecture for a tokenizer of {@code vocabularySize} tokens. */
    LmConfig config(int vocabularySize) {
        LmConfig.Builder b = LmConfig.preset(preset).setVocabSize(vocabularySize).optAttention(attention);
        if (contextLength != null) {
            b.optContextLength(contextLength).optBiasLength(contextLength);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(CONTEXT_LENGTH + ": " + e.getMessage(), e);
        }
    }

    /** The block's training options. */
    TrainOptions trainOptions() {
        TrainOptions o = new TrainOptions().steps(iterations).batchSize(batchSize).gradientAccumulation(gradAccum)
                .learningRate(learningRate).seed(seed).progressBar(progressBar);
        if (warmupSteps != null) {
            o.warmupSteps(warmupSteps);
        }
        return o;
    }

    public int iterations() {
        return iterations;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public long seed() {
        return seed;
    }

    public Device device() {
        return device;
    }

    /** The output folder, or null for a temporary one. */
    public Path outputDir() {
        return outputDir;
    }

    // ------------------------------------------------------------------ value parsing

    private static String text(String name, Object value, String defaultValue) {
        if (value == null) {
            return defaultValue;
        }
        String s = value.toString().trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException(name + " is empty; leave it out for the default");
        }
        return s;
    }

    private static int positive(String name, Object value, int defaultValue) {
        return whole(name, value, defaultValue, 1);
    }

    private static int whole(String name, Object value, int defaultValue, int min) {
        if (value == null) {
            return defaultValue;
        }
        int v;
        try {
            v = Integer.parseInt(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number >= " + min + ", got '" + value + "'", e);
        }
        if (v < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", got " + v);
        }
        return v;
    }

    private static long longValue(String name, Object value, long defaultValue) {
        if (value == null) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'", e);
        }
    }

    private static float rate(String name, Object value, float defaultValue) {
        if (value == null) {
            return defaultValue;
        }
        float v;
        try {
            v = Float.parseFloat(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number > 0, got '" + value + "'", e);
        }
        if (!(v > 0) || Float.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite number > 0, got " + value);
        }
        return v;
    }

    private static boolean bool(String name, Object value, boolean defaultValue) {
        if (value == null) {
            return defaultValue;
        }
        String s = value.toString().trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new IllegalArgumentException(name + " must be true or false, got '" + value + "'");
    }

    private static Path folder(String value) {
        if (value == null) {
            return null;
        }
        Path p;
        try {
            p = Path.of(value);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(OUTPUT_DIR + ": '" + value + "' is not a valid path", e);
        }
        if (Files.exists(p) && !Files.isDirectory(p)) {
            throw new IllegalArgumentException(OUTPUT_DIR + ": " + p + " exists and is not a folder");
        }
        return p;
    }
}

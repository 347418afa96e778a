package dev.lazyattention.train;

import static dev.lazyattention.settings.FrontEnd.CLI;
import static dev.lazyattention.settings.FrontEnd.CORENLP;
import static dev.lazyattention.settings.FrontEnd.OPENNLP;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.engine.DeviceChoice;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.settings.InvalidSetting;
import dev.lazyattention.settings.Setting;
import dev.lazyattention.settings.SettingTable;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One training run's configuration: the model (a preset with overrides), the optimisation, validation,
 * checkpoints and output, as {@link TrainingRecipe} and {@link LmTrainer} use it. A null component takes a
 * default computed from the others (see {@link #SETTINGS}' default texts). Every value is checked when the
 * record is made, with a message naming the setting; {@link #with} and {@link #toBuilder()} derive variants.
 * A checkpoint stores the configuration as JSON ({@link #toJson()}), so that a resumed run uses the same one.
 *
 * <p>Common practice for small decoders as defaults: AdamW (0.9, 0.95), weight decay 0.1 on matrices, linear
 * warmup then cosine decay to a tenth of the peak rate, global gradient-norm clipping at 1.0.
 */
public record TrainConfig(String preset, AttentionVariant attention, Integer vocabSize, Integer numLayers,
        Integer hiddenSize, Integer numHeads, Integer numKvHeads, Integer contextLength, Integer biasLength,
        boolean startToken, int steps, int batchSize, int gradAccum, Integer sequenceLength, float learningRate,
        Float minLearningRate, Integer warmupSteps, float weightDecay, float beta1, float beta2, float epsilon,
        float gradientClip, long seed, NonFinitePolicy onNan, int evalEvery, int evalWindows, int checkpointEvery,
        int logEvery, boolean validationAttentionStats, Boolean progress, String device, String language) {

    /** What to do when a batch gives a NaN or infinite loss or gradient. */
    public enum NonFinitePolicy {
        /** Stop with a clear error; the last checkpoint on disk stays as it was. */
        STOP,
        /** Drop that batch's gradients and go on. */
        SKIP
    }

    /** Default of {@link #PRESET}, a constant so that an option annotation can name it. */
    public static final String DEFAULT_PRESET = "small";
    /** Default of {@link #BATCH_SIZE}, a constant so that an option annotation can name it. */
    public static final int DEFAULT_BATCH_SIZE = 4;

    private static final int MAX = Integer.MAX_VALUE;
    private static final int CONTEXT = LmConfig.CONTEXT_LIMIT;
    private static final float INF = Float.POSITIVE_INFINITY;
    private static final String PRESETS = "the preset's";

    // The settings, in the order of the record's components.
    public static final Setting<String> PRESET = Setting.of("preset", String.class, DEFAULT_PRESET,
            "model size: tiny (tests), mini (short CPU experiments), small (CPU), base (GPU)")
            .labelled("tiny|mini|small|base").checked(v -> refusal(() -> LmConfig.preset(v), "=" + v + ": "));
    public static final Setting<AttentionVariant> ATTENTION = Setting.of("attention", AttentionVariant.class,
            AttentionVariant.LAZY, "attention variant");
    public static final Setting<Integer> VOCAB_SIZE = Setting.whole("vocabSize", null, 257, MAX,
            "tokenizer size when one is trained (at least 257)").computed(PRESETS);
    public static final Setting<Integer> NUM_LAYERS = Setting.whole("layers", null, 1, MAX, "decoder layers")
            .named("numLayers").computed(PRESETS);
    public static final Setting<Integer> HIDDEN_SIZE = Setting.whole("hiddenSize", null, 2, MAX,
            "hidden size; the MLP width follows it").computed(PRESETS).as(CLI, "--hidden-size", "--hidden");
    public static final Setting<Integer> NUM_HEADS = Setting.whole("heads", null, 1, MAX, "attention heads")
            .named("numHeads").computed(PRESETS);
    public static final Setting<Integer> NUM_KV_HEADS = Setting.whole("kvHeads", null, 1, MAX,
            "key/value heads (grouped-query attention)").named("numKvHeads").computed(PRESETS);
    public static final Setting<Integer> CONTEXT_LENGTH = Setting.whole("contextLength", null, 2, CONTEXT,
            "longest window the model sees, in tokens").computed(PRESETS).as(CLI, "--context-length", "--context");
    public static final Setting<Integer> BIAS_LENGTH = Setting.whole("biasLength", null, 1, CONTEXT,
            "distances with a learned bias").computed("the context length");
    public static final Setting<Boolean> START_TOKEN = Setting.of("startToken", Boolean.class, false,
            "end-of-text token at position 0 of every window, in training and scoring");
    public static final Setting<Integer> STEPS = Setting.whole("steps", 1000, 1, MAX,
            "optimizer steps (each of batchSize x gradAccum windows)").as(OPENNLP, "Iterations", "lazylm.steps");
    public static final Setting<Integer> BATCH_SIZE = Setting.whole("batchSize", DEFAULT_BATCH_SIZE, 1, MAX,
            "windows per forward pass");
    public static final Setting<Integer> GRAD_ACCUM = Setting.whole("gradAccum", 4, 1, MAX,
            "forward passes per optimizer step");
    public static final Setting<Integer> SEQUENCE_LENGTH = Setting.whole("sequenceLength", null, 2, CONTEXT,
            "training window length in tokens").computed("the context length")
            .as(CLI, "--sequence-length", "--seq-len");
    public static final Setting<Float> LEARNING_RATE = Setting.number("learningRate", 1e-3f, false, INF,
            "peak learning rate").as(CLI, "--learning-rate", "--lr");
    public static final Setting<Float> MIN_LEARNING_RATE = Setting.number("minLearningRate", null, true,
            INF, "final learning rate of the cosine decay").computed("a tenth of learningRate");
    public static final Setting<Integer> WARMUP_STEPS = Setting.whole("warmupSteps", null, 0, MAX,
            "linear warmup steps").computed("a tenth of the steps, at most 200").as(CLI, "--warmup-steps", "--warmup");
    public static final Setting<Float> WEIGHT_DECAY = Setting.number("weightDecay", 0.1f, true, INF,
            "AdamW weight decay on matrices");
    public static final Setting<Float> BETA1 = Setting.number("beta1", 0.9f, true, 1f,
            "AdamW first-moment decay, below 1");
    public static final Setting<Float> BETA2 = Setting.number("beta2", 0.95f, true, 1f,
            "AdamW second-moment decay, below 1");
    public static final Setting<Float> EPSILON = Setting.number("epsilon", 1e-8f, false, INF,
            "AdamW epsilon");
    public static final Setting<Float> GRADIENT_CLIP = Setting.number("gradientClip", 1.0f, true, INF,
            "largest global gradient norm; 0 turns clipping off");
    public static final Setting<Long> SEED = Setting.of("seed", Long.class, 1234L,
            "seed of the initial weights and the data order");
    public static final Setting<NonFinitePolicy> ON_NAN = Setting.of("onNan", NonFinitePolicy.class,
            NonFinitePolicy.STOP, "a NaN or infinite loss stops training, or skips the batch");
    public static final Setting<Integer> EVAL_EVERY = Setting.whole("evalEvery", 100, 0, MAX,
            "validation every N steps; 0: only at the end");
    public static final Setting<Integer> EVAL_WINDOWS = Setting.whole("evalWindows", 32, 1, MAX,
            "validation windows");
    public static final Setting<Integer> CHECKPOINT_EVERY = Setting.whole("checkpointEvery", 200, 0, MAX,
            "checkpoint every N steps; 0: only at the end");
    public static final Setting<Integer> LOG_EVERY = Setting.whole("logEvery", 10, 1, MAX,
            "training loss in the metrics log every N steps");
    public static final Setting<Boolean> VALIDATION_ATTENTION_STATS = Setting.of("validationAttentionStats",
            Boolean.class, false, "also log sparsity, sink mass and rate and surviving mass at each validation");
    public static final Setting<Boolean> PROGRESS = Setting.of("progress", Boolean.class, null,
            "print a progress bar with loss, tokens/s and ETA").computed("true on a terminal, else false");
    public static final Setting<String> DEVICE = Setting.of("device", String.class, null, "where the model trains")
            .computed("-Dlazyattention.device, else $LAZYATTENTION_DEVICE, else auto").labelled("auto|cpu|gpu|gpu:N")
            .checked(v -> refusal(() -> DeviceChoice.resolve(v, ""), "")); // "=<value>: expected ..."
    public static final Setting<String> LANGUAGE = Setting.of("language", String.class, "und",
            "language code written into the model file").labelled("CODE").as(OPENNLP);

    /**
     * Every setting, in the order of the record's components. Front ends: {@code --kebab-case} options of
     * {@code lazyattn train}, {@code lazylm.train.<key>} properties of the CoreNLP trainer, {@code lazylm.<key>}
     * parameters of OpenNLP training (whose own {@code Iterations} is the steps; the language is an argument).
     */
    public static final SettingTable<TrainConfig> SETTINGS = new SettingTable<>(TrainConfig.class, Map.of(
            CLI, SettingTable::kebab, CORENLP, k -> "lazylm.train." + k, OPENNLP, k -> "lazylm." + k), List.of(
            PRESET, ATTENTION, VOCAB_SIZE, NUM_LAYERS, HIDDEN_SIZE, NUM_HEADS, NUM_KV_HEADS, CONTEXT_LENGTH,
            BIAS_LENGTH, START_TOKEN, STEPS, BATCH_SIZE, GRAD_ACCUM, SEQUENCE_LENGTH, LEARNING_RATE,
            MIN_LEARNING_RATE, WARMUP_STEPS, WEIGHT_DECAY, BETA1, BETA2, EPSILON, GRADIENT_CLIP, SEED, ON_NAN,
            EVAL_EVERY, EVAL_WINDOWS, CHECKPOINT_EVERY, LOG_EVERY, VALIDATION_ATTENTION_STATS, PROGRESS, DEVICE,
            LANGUAGE));

    /** Every setting at its default. */
    public static final TrainConfig DEFAULTS = SETTINGS.builder().build();

    /** @throws InvalidSetting naming the first bad setting by its key */
    public TrainConfig {
        SETTINGS.check(preset, attention, vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, contextLength,
                biasLength, startToken, steps, batchSize, gradAccum, sequenceLength, learningRate, minLearningRate,
                warmupSteps, weightDecay, beta1, beta2, epsilon, gradientClip, seed, onNan, evalEvery, evalWindows,
                checkpointEvery, logEvery, validationAttentionStats, progress, device, language);
        preset = preset.trim().toLowerCase(Locale.ROOT);
        device = device == null ? null : device.trim().toLowerCase(Locale.ROOT);
        LmConfig config;
        try {
            // With the preset's vocabulary: the tokenizer fixes the real one, which changes no other check.
            config = architecture(preset, attention, LmConfig.preset(preset).vocabSize(), numLayers,
                    hiddenSize, numHeads, numKvHeads, contextLength, biasLength, startToken);
        } catch (IllegalArgumentException e) {
            throw new InvalidSetting(PRESET, " " + preset + " with the settings given: " + e.getMessage());
        }
        if (sequenceLength != null && sequenceLength > config.contextLength()) {
            throw new InvalidSetting(SEQUENCE_LENGTH, " " + sequenceLength + " is longer than the context length "
                    + config.contextLength());
        }
    }

    /** The problem {@code rule} throws, after {@code prefix}, or null. */
    private static String refusal(Runnable rule, String prefix) {
        try {
            rule.run();
            return null;
        } catch (IllegalArgumentException e) {
            return prefix + e.getMessage();
        }
    }

    public static SettingTable<TrainConfig>.Builder builder() {
        return SETTINGS.builder();
    }

    /** A builder holding these values. */
    public SettingTable<TrainConfig>.Builder toBuilder() {
        return SETTINGS.builder(this);
    }

    /** A copy with one setting changed, checked like a new configuration. */
    public <T> TrainConfig with(Setting<T> setting, T value) {
        return SETTINGS.builder(this).set(setting, value).build();
    }

    /** The tokenizer size to train: {@link #vocabSize()} or the preset's. */
    public int resolvedVocabSize() {
        return vocabSize != null ? vocabSize : LmConfig.preset(preset).vocabSize();
    }

    /** Whether a progress bar is shown: {@link #progress()} if set, else when the JVM has a terminal. */
    public boolean resolvedProgress() {
        return progress != null ? progress : System.console() != null;
    }

    /** The device: {@link #device()} if set, else {@link DeviceChoice#fromEnvironment()}. */
    public Device resolvedDevice() {
        return device == null ? DeviceChoice.fromEnvironment() : DeviceChoice.resolve(device, DEVICE.key());
    }

    /** Linear warmup steps: {@link #warmupSteps()} if set, else a tenth of the steps, at most 200. */
    public int resolvedWarmupSteps() {
        return warmupSteps != null ? warmupSteps : Math.min(200, steps / 10);
    }

    /** Final learning rate: {@link #minLearningRate()} if set, else a tenth of the peak. */
    public float resolvedMinLearningRate() {
        return minLearningRate != null ? minLearningRate : learningRate / 10;
    }

    /** Window length: {@link #sequenceLength()} if set, else the model's context length. */
    public int resolvedSequenceLength(int modelContextLength) {
        return sequenceLength != null ? sequenceLength : modelContextLength;
    }

    /** The architecture: the preset with this configuration's overrides, for a tokenizer of {@code vocabSize}. */
    public LmConfig config(int vocabSize) {
        return architecture(preset, attention, vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, contextLength,
                biasLength, startToken);
    }

    private static LmConfig architecture(String preset, AttentionVariant attention, int vocabSize, Integer numLayers,
            Integer hiddenSize, Integer numHeads, Integer numKvHeads, Integer contextLength, Integer biasLength,
            boolean startToken) {
        LmConfig p = LmConfig.preset(preset);
        int hidden = or(hiddenSize, p.hiddenSize());
        int context = or(contextLength, p.contextLength());
        return new LmConfig(vocabSize, or(numLayers, p.numLayers()), hidden, or(numHeads, p.numHeads()),
                or(numKvHeads, p.numKvHeads()), LmConfig.defaultMlpHiddenSize(hidden), context, attention,
                or(biasLength, context), p.ropeBase(), p.tauInit(), p.biasInitStd(), p.normEpsilon(), startToken);
    }

    private static int or(Integer value, int presets) {
        return value != null ? value : presets;
    }

    /** The configuration as a JSON object, one field per component by its name; unset computed ones left out. */
    public String toJson() {
        return SETTINGS.toJson(this).toString();
    }

    /**
     * Reads {@link #toJson()}'s form: a missing field takes its default.
     *
     * @throws IllegalArgumentException for no JSON object, an unknown field (naming the closest), a field of
     *     the wrong kind or a bad value
     */
    public static TrainConfig fromJson(String json) {
        try {
            JsonObject o = JsonParser.parseString(String.valueOf(json)).getAsJsonObject();
            return SETTINGS.fromJson(o, "training configuration");
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException("training configuration is not a JSON object: " + json, e);
        }
    }
}

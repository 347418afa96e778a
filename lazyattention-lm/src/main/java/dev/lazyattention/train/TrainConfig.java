package dev.lazyattention.train;

import ai.djl.Device;
import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.engine.DeviceChoice;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.names.ClosestName;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One training run's configuration: the model (a preset with overrides), the optimisation, validation,
 * checkpoints and output, as {@link TrainingRecipe} and {@link LmTrainer} use it. A null component takes a
 * default computed from the others (see {@link #SETTINGS}' default texts). Every value is checked when the
 * record is made, with a message naming the setting; {@link #toBuilder()} derives variants. A checkpoint
 * stores the configuration as JSON ({@link #toJson()}), so that a resumed run uses the same one.
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
    private static final String PRESETS = "the preset's";

    // The settings, in the order of the record's components.
    public static final Setting<String> PRESET = Setting.of("preset", "preset", "tiny|mini|small|base",
            String.class, DEFAULT_PRESET, null,
            "model size: tiny (tests), mini (short CPU experiments), small (CPU), base (GPU)", t -> {
                String v = t.toLowerCase(Locale.ROOT);
                LmConfig.preset(v);
                return v;
            }, v -> v, TrainConfig::preset);
    public static final Setting<AttentionVariant> ATTENTION = Setting.of("attention", "attention",
            Arrays.stream(AttentionVariant.values()).map(AttentionVariant::id).collect(Collectors.joining("|")),
            AttentionVariant.class, AttentionVariant.LAZY, null, "attention variant", AttentionVariant::parse,
            AttentionVariant::id, TrainConfig::attention);
    public static final Setting<Integer> VOCAB_SIZE = Setting.whole("vocabSize", "vocabSize", null, PRESETS,
            "tokenizer size when one is trained (at least 257)", 257, MAX, TrainConfig::vocabSize);
    public static final Setting<Integer> NUM_LAYERS = Setting.whole("numLayers", "layers", null, PRESETS,
            "decoder layers", 1, MAX, TrainConfig::numLayers);
    public static final Setting<Integer> HIDDEN_SIZE = Setting.whole("hiddenSize", "hiddenSize", null, PRESETS,
            "hidden size; the MLP width follows it", 2, MAX, TrainConfig::hiddenSize, "--hidden");
    public static final Setting<Integer> NUM_HEADS = Setting.whole("numHeads", "heads", null, PRESETS,
            "attention heads", 1, MAX, TrainConfig::numHeads);
    public static final Setting<Integer> NUM_KV_HEADS = Setting.whole("numKvHeads", "kvHeads", null, PRESETS,
            "key/value heads (grouped-query attention)", 1, MAX, TrainConfig::numKvHeads);
    public static final Setting<Integer> CONTEXT_LENGTH = Setting.whole("contextLength", "contextLength", null,
            PRESETS, "longest window the model sees, in tokens", 2, LmConfig.CONTEXT_LIMIT,
            TrainConfig::contextLength, "--context");
    public static final Setting<Integer> BIAS_LENGTH = Setting.whole("biasLength", "biasLength", null,
            "the context length", "distances with a learned bias", 1, LmConfig.CONTEXT_LIMIT, TrainConfig::biasLength);
    public static final Setting<Boolean> START_TOKEN = Setting.truth("startToken", false, null,
            "end-of-text token at position 0 of every window, in training and scoring", TrainConfig::startToken);
    public static final Setting<Integer> STEPS = Setting.whole("steps", "steps", 1000, null,
            "optimizer steps (each of batchSize x gradAccum windows)", 1, MAX, TrainConfig::steps);
    public static final Setting<Integer> BATCH_SIZE = Setting.whole("batchSize", "batchSize", DEFAULT_BATCH_SIZE, null,
            "windows per forward pass", 1, MAX, TrainConfig::batchSize);
    public static final Setting<Integer> GRAD_ACCUM = Setting.whole("gradAccum", "gradAccum", 4, null,
            "forward passes per optimizer step", 1, MAX, TrainConfig::gradAccum);
    public static final Setting<Integer> SEQUENCE_LENGTH = Setting.whole("sequenceLength", "sequenceLength", null,
            "the context length", "training window length in tokens", 2, LmConfig.CONTEXT_LIMIT,
            TrainConfig::sequenceLength, "--seq-len");
    public static final Setting<Float> LEARNING_RATE = Setting.number("learningRate", 1e-3f, null,
            "peak learning rate", false, Float.POSITIVE_INFINITY, TrainConfig::learningRate, "--lr");
    public static final Setting<Float> MIN_LEARNING_RATE = Setting.number("minLearningRate", null,
            "a tenth of learningRate", "final learning rate of the cosine decay", true, Float.POSITIVE_INFINITY,
            TrainConfig::minLearningRate);
    public static final Setting<Integer> WARMUP_STEPS = Setting.whole("warmupSteps", "warmupSteps", null,
            "a tenth of the steps, at most 200", "linear warmup steps", 0, MAX, TrainConfig::warmupSteps, "--warmup");
    public static final Setting<Float> WEIGHT_DECAY = Setting.number("weightDecay", 0.1f, null,
            "AdamW weight decay on matrices", true, Float.POSITIVE_INFINITY, TrainConfig::weightDecay);
    public static final Setting<Float> BETA1 = Setting.number("beta1", 0.9f, null,
            "AdamW first-moment decay, below 1", true, 1f, TrainConfig::beta1);
    public static final Setting<Float> BETA2 = Setting.number("beta2", 0.95f, null,
            "AdamW second-moment decay, below 1", true, 1f, TrainConfig::beta2);
    public static final Setting<Float> EPSILON = Setting.number("epsilon", 1e-8f, null, "AdamW epsilon", false,
            Float.POSITIVE_INFINITY, TrainConfig::epsilon);
    public static final Setting<Float> GRADIENT_CLIP = Setting.number("gradientClip", 1.0f, null,
            "largest global gradient norm; 0 turns clipping off", true, Float.POSITIVE_INFINITY,
            TrainConfig::gradientClip);
    public static final Setting<Long> SEED = Setting.of("seed", "seed", "N", Long.class, 1234L, null,
            "seed of the initial weights and the data order", t -> {
                try {
                    return Long.parseLong(t);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("expected a whole number");
                }
            }, String::valueOf, TrainConfig::seed);
    public static final Setting<NonFinitePolicy> ON_NAN = Setting.of("onNan", "onNan", "stop|skip",
            NonFinitePolicy.class, NonFinitePolicy.STOP, null,
            "a NaN or infinite loss stops training, or skips the batch", t -> switch (t.toLowerCase(Locale.ROOT)) {
                case "stop" -> NonFinitePolicy.STOP;
                case "skip" -> NonFinitePolicy.SKIP;
                default -> throw new IllegalArgumentException("expected stop or skip");
            }, v -> v.name().toLowerCase(Locale.ROOT), TrainConfig::onNan);
    public static final Setting<Integer> EVAL_EVERY = Setting.whole("evalEvery", "evalEvery", 100, null,
            "validation every N steps; 0: only at the end", 0, MAX, TrainConfig::evalEvery);
    public static final Setting<Integer> EVAL_WINDOWS = Setting.whole("evalWindows", "evalWindows", 32, null,
            "validation windows", 1, MAX, TrainConfig::evalWindows);
    public static final Setting<Integer> CHECKPOINT_EVERY = Setting.whole("checkpointEvery", "checkpointEvery", 200,
            null, "checkpoint every N steps; 0: only at the end", 0, MAX, TrainConfig::checkpointEvery);
    public static final Setting<Integer> LOG_EVERY = Setting.whole("logEvery", "logEvery", 10, null,
            "training loss in the metrics log every N steps", 1, MAX, TrainConfig::logEvery);
    public static final Setting<Boolean> VALIDATION_ATTENTION_STATS = Setting.truth("validationAttentionStats",
            false, null, "also log sparsity, sink mass and rate and surviving mass at each validation",
            TrainConfig::validationAttentionStats);
    public static final Setting<Boolean> PROGRESS = Setting.truth("progress", null, "true on a terminal, else false",
            "print a progress bar with loss, tokens/s and ETA", TrainConfig::progress);
    public static final Setting<String> DEVICE = new Setting<>("device", "device", "auto|cpu|gpu|gpu:N",
            String.class, null, "-Dlazyattention.device, else $LAZYATTENTION_DEVICE, else auto",
            "where the model trains", t -> t.toLowerCase(Locale.ROOT), v -> {
                try {
                    DeviceChoice.resolve(v, "");
                    return null;
                } catch (IllegalArgumentException e) {
                    return e.getMessage(); // "=<value>: expected ..."
                }
            }, v -> v, TrainConfig::device, List.of());
    public static final Setting<String> LANGUAGE = Setting.of("language", "language", "CODE", String.class, "und",
            null, "language code written into the model file", t -> t, v -> v, TrainConfig::language);

    /** Every setting, in the order of the record's components. */
    public static final List<Setting<?>> SETTINGS = List.of(PRESET, ATTENTION, VOCAB_SIZE, NUM_LAYERS, HIDDEN_SIZE,
            NUM_HEADS, NUM_KV_HEADS, CONTEXT_LENGTH, BIAS_LENGTH, START_TOKEN, STEPS, BATCH_SIZE, GRAD_ACCUM,
            SEQUENCE_LENGTH, LEARNING_RATE, MIN_LEARNING_RATE, WARMUP_STEPS, WEIGHT_DECAY, BETA1, BETA2, EPSILON,
            GRADIENT_CLIP, SEED, ON_NAN, EVAL_EVERY, EVAL_WINDOWS, CHECKPOINT_EVERY, LOG_EVERY,
            VALIDATION_ATTENTION_STATS, PROGRESS, DEVICE, LANGUAGE);

    /** Every setting at its default. */
    public static final TrainConfig DEFAULTS = builder().build();

    private static final Gson GSON = new Gson();

    /** @throws InvalidSetting naming the first bad setting by its key */
    public TrainConfig {
        Object[] values = {preset, attention, vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, contextLength,
            biasLength, startToken, steps, batchSize, gradAccum, sequenceLength, learningRate, minLearningRate,
            warmupSteps, weightDecay, beta1, beta2, epsilon, gradientClip, seed, onNan, evalEvery, evalWindows,
            checkpointEvery, logEvery, validationAttentionStats, progress, device, language};
        for (int i = 0; i < values.length; i++) {
            String problem = SETTINGS.get(i).problem(values[i]);
            if (problem != null) {
                throw new InvalidSetting(SETTINGS.get(i), problem);
            }
        }
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

    /** A value that breaks its setting's rule; the message begins with the setting's key. */
    public static final class InvalidSetting extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final transient Setting<?> setting;
        private final String problem;

        InvalidSetting(Setting<?> setting, String problem) {
            super(setting.key() + problem);
            this.setting = setting;
            this.problem = problem;
        }

        /** The same problem, the setting named as a front end knows it. */
        IllegalArgumentException named(Function<Setting<?>, String> names) {
            return new IllegalArgumentException(names.apply(setting) + problem, this);
        }
    }

    public static Builder builder() {
        return new Builder(null);
    }

    /** A builder holding these values. */
    public Builder toBuilder() {
        return new Builder(this);
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
        return GSON.toJson(this);
    }

    /**
     * Reads {@link #toJson()}'s form: a missing field takes its default.
     *
     * @throws IllegalArgumentException for no JSON object, an unknown field (naming the closest), a field of
     *     the wrong kind or a bad value
     */
    public static TrainConfig fromJson(String json) {
        JsonElement root;
        try {
            root = json == null ? null : JsonParser.parseString(json);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("training configuration is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isJsonObject()) {
            throw new IllegalArgumentException("no training configuration: expected a JSON object, got " + json);
        }
        Builder b = builder();
        List<String> names = SETTINGS.stream().map(Setting::name).toList();
        for (Map.Entry<String, JsonElement> field : root.getAsJsonObject().entrySet()) {
            int i = names.indexOf(field.getKey());
            if (i < 0) {
                throw new IllegalArgumentException("training configuration field " + field.getKey()
                        + " is unknown; did you mean " + ClosestName.closest(field.getKey(), names) + "?");
            }
            Setting<?> s = SETTINGS.get(i);
            try {
                b.values.put(s, field.getValue().isJsonNull() ? null : GSON.fromJson(field.getValue(), s.type()));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("training configuration field " + s.name() + ": "
                        + field.getValue() + " is not a " + s.type().getSimpleName(), e);
            }
        }
        return b.build();
    }

    /** Builder of {@link TrainConfig}: values by setting, checked together by {@link #build}. */
    public static final class Builder {
        private final Map<Setting<?>, Object> values = new LinkedHashMap<>();

        private Builder(TrainConfig from) {
            for (Setting<?> s : SETTINGS) {
                values.put(s, from == null ? s.defaultValue() : s.get(from));
            }
        }

        /** Sets one value; null gives a setting with a computed default that default again. */
        public <T> Builder set(Setting<T> setting, T value) {
            values.put(setting, value);
            return this;
        }

        /** The value held for {@code setting}. */
        public <T> T get(Setting<T> setting) {
            return setting.type().cast(values.get(setting));
        }

        /** @throws IllegalArgumentException naming the first bad setting by its key */
        public TrainConfig build() {
            return build(Setting::key);
        }

        /**
         * Builds.
         *
         * @param names a front end's name of each setting, for the message
         * @throws IllegalArgumentException naming the first bad setting as {@code names} does
         */
        public TrainConfig build(Function<Setting<?>, String> names) {
            for (Setting<?> s : SETTINGS) {
                String problem = s.problem(values.get(s));
                if (problem != null) {
                    throw new IllegalArgumentException(names.apply(s) + problem);
                }
            }
            Object[] v = SETTINGS.stream().map(values::get).toArray();
            try {
                return new TrainConfig((String) v[0], (AttentionVariant) v[1], (Integer) v[2], (Integer) v[3],
                        (Integer) v[4], (Integer) v[5], (Integer) v[6], (Integer) v[7], (Integer) v[8],
                        (Boolean) v[9], (Integer) v[10], (Integer) v[11], (Integer) v[12], (Integer) v[13],
                        (Float) v[14], (Float) v[15], (Integer) v[16], (Float) v[17], (Float) v[18], (Float) v[19],
                        (Float) v[20], (Float) v[21], (Long) v[22], (NonFinitePolicy) v[23], (Integer) v[24],
                        (Integer) v[25], (Integer) v[26], (Integer) v[27], (Boolean) v[28], (Boolean) v[29],
                        (String) v[30], (String) v[31]);
            } catch (InvalidSetting e) {
                throw e.named(names);
            }
        }
    }
}

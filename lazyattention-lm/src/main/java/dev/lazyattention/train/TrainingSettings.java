package dev.lazyattention.train;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.DeviceChoice;
import dev.lazyattention.model.LmConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every setting of the training recipe ({@link TrainingRecipe}), each with its canonical name, type, default
 * and meaning, in one place: the front ends (the {@code lazyattn} commands, the CoreNLP and OpenNLP trainers,
 * the Spark benchmark) read names, defaults and help text from {@link #all()}, and validate values through
 * it, so that the same setting has the same name and default everywhere. The README's "Training settings"
 * table is checked against this list by a test.
 *
 * <p>Immutable; built DJL style: {@code TrainingSettings.builder().optSteps(200).optPreset("tiny").build()}.
 * Every setting has a default, so every builder method is an {@code opt*}. A front end hands values over as
 * text with {@link Builder#optText}, naming them by its own key in error messages.
 */
public final class TrainingSettings {

    /** A value as a front end received it could not be read. */
    @FunctionalInterface
    interface Parser<T> {
        /** @throws IllegalArgumentException with the reason only ("expected a whole number") */
        T parse(String text);
    }

    /** Checks one value; the message names the setting by the key a front end knows it as. */
    @FunctionalInterface
    interface Check<T> {
        /** @throws IllegalArgumentException with the whole message */
        void check(T value, String key);
    }

    /**
     * One setting: its canonical name (camelCase; the CLI writes it {@code --kebab-case}, CoreNLP {@code
     * lazylm.train.<name>}, OpenNLP {@code lazylm.<name>}), the kind of value, its default and its meaning.
     *
     * @param <T> the value type
     */
    public static final class Setting<T> {
        private final String name;
        private final String valueLabel;
        private final Class<T> type;
        private final T defaultValue;
        private final String defaultText;
        private final String description;
        private final Parser<T> parser;
        private final Check<T> check;
        private final Function<T, String> format;

        private Setting(String name, String valueLabel, Class<T> type, T defaultValue, String computedDefault,
                String description, Parser<T> parser, Check<T> check, Function<T, String> format) {
            this.name = name;
            this.valueLabel = valueLabel;
            this.type = type;
            this.defaultValue = defaultValue;
            this.format = format;
            this.defaultText = defaultValue == null ? computedDefault : format.apply(defaultValue);
            this.description = description;
            this.parser = parser;
            this.check = check;
        }

        /** The canonical name, camelCase. */
        public String name() {
            return name;
        }

        /** What a value looks like, for help text: {@code N}, {@code RATE}, {@code tiny|small|base}, ... */
        public String valueLabel() {
            return valueLabel;
        }

        public Class<T> type() {
            return type;
        }

        /** Whether the value is true or false (a switch on a command line). */
        public boolean isSwitch() {
            return type == Boolean.class;
        }

        /** The default, or null when it is computed from other settings (see {@link #defaultText()}). */
        public T defaultValue() {
            return defaultValue;
        }

        /** The default as help text and the README show it: a value, or the rule that computes it. */
        public String defaultText() {
            return defaultText;
        }

        /** What the setting does, in one line. */
        public String description() {
            return description;
        }

        /** A value as text, the way {@link #parse} reads it back. */
        public String format(T value) {
            return format.apply(value);
        }

        /**
         * Reads a value given as text (surrounding blanks ignored) and checks it.
         *
         * @param key the front end's name for this setting, for the message
         * @throws IllegalArgumentException naming {@code key} and the value
         */
        public T parse(String text, String key) {
            String t = text == null ? "" : text.trim();
            if (t.isEmpty()) {
                throw new IllegalArgumentException(key + " is empty; leave it out for the default");
            }
            T value;
            try {
                value = parser.parse(t);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + "=" + t + ": " + e.getMessage(), e);
            }
            check(value, key);
            return value;
        }

        /**
         * Checks a value.
         *
         * @throws IllegalArgumentException naming {@code key}, the value and the rule
         */
        public void check(T value, String key) {
            if (value == null) {
                throw new IllegalArgumentException(key + " must not be null");
            }
            check.check(value, key);
        }

        /** This setting's value in {@code settings} (the default where none was set; null if computed). */
        public T get(TrainingSettings settings) {
            return type.cast(settings.values.getOrDefault(name, defaultValue));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    // Plain defaults as compile-time constants, so that a hand-written option annotation can name them.

    /** Default of {@link #PRESET}. */
    public static final String DEFAULT_PRESET = "small";
    /** Default of {@link #BATCH_SIZE}. */
    public static final int DEFAULT_BATCH_SIZE = 4;
    /** Default of {@link #SEED}. */
    public static final long DEFAULT_SEED = 1234;

    private static final List<Setting<?>> ALL = new ArrayList<>();
    private static final Map<String, Setting<?>> BY_NAME = new LinkedHashMap<>();

    // ---------------------------------------------------------------- corpus, tokenizer, model

    public static final Setting<String> PRESET = add(new Setting<>("preset", "tiny|mini|small|base", String.class,
            DEFAULT_PRESET, null, "model size: tiny (tests), mini (short CPU experiments), small (CPU), base (GPU)",
            t -> {
                String v = t.toLowerCase(Locale.ROOT);
                LmConfig.preset(v);
                return v;
            }, (v, key) -> { }, v -> v));
    public static final Setting<AttentionVariant> ATTENTION = add(new Setting<>("attention",
            Arrays.stream(AttentionVariant.values()).map(AttentionVariant::id).collect(Collectors.joining("|")),
            AttentionVariant.class, AttentionVariant.LAZY, null, "attention variant", AttentionVariant::parse,
            (v, key) -> { }, AttentionVariant::id));
    public static final Setting<Integer> VOCAB_SIZE = add(whole("vocabSize", null, "the preset's",
            "tokenizer size when one is trained (at least 257)", 257, Integer.MAX_VALUE));
    public static final Setting<Integer> LAYERS = add(whole("layers", null, "the preset's",
            "decoder layers", 1, Integer.MAX_VALUE));
    public static final Setting<Integer> HIDDEN_SIZE = add(whole("hiddenSize", null, "the preset's",
            "hidden size; the MLP width follows it", 2, Integer.MAX_VALUE));
    public static final Setting<Integer> HEADS = add(whole("heads", null, "the preset's",
            "attention heads", 1, Integer.MAX_VALUE));
    public static final Setting<Integer> KV_HEADS = add(whole("kvHeads", null, "the preset's",
            "key/value heads (grouped-query attention)", 1, Integer.MAX_VALUE));
    public static final Setting<Integer> CONTEXT_LENGTH = add(whole("contextLength", null, "the preset's",
            "longest window the model sees, in tokens", 2, LmConfig.CONTEXT_LIMIT));
    public static final Setting<Integer> BIAS_LENGTH = add(whole("biasLength", null, "the context length",
            "distances with a learned bias", 1, LmConfig.CONTEXT_LIMIT));
    public static final Setting<Boolean> START_TOKEN = add(truth("startToken", false, null,
            "end-of-text token at position 0 of every window, in training and scoring"));

    // ---------------------------------------------------------------- optimisation

    public static final Setting<Integer> STEPS = add(whole("steps", 1000, null,
            "optimizer steps (each of batchSize x gradAccum windows)", 1, Integer.MAX_VALUE));
    public static final Setting<Integer> BATCH_SIZE = add(whole("batchSize", DEFAULT_BATCH_SIZE, null,
            "windows per forward pass", 1, Integer.MAX_VALUE));
    public static final Setting<Integer> GRAD_ACCUM = add(whole("gradAccum", 4, null,
            "forward passes per optimizer step", 1, Integer.MAX_VALUE));
    public static final Setting<Integer> SEQUENCE_LENGTH = add(whole("sequenceLength", null, "the context length",
            "training window length in tokens", 2, LmConfig.CONTEXT_LIMIT));
    public static final Setting<Float> LEARNING_RATE = add(number("learningRate", 1e-3f, null,
            "peak learning rate", false, Float.POSITIVE_INFINITY));
    public static final Setting<Float> MIN_LEARNING_RATE = add(number("minLearningRate", null,
            "a tenth of learningRate", "final learning rate of the cosine decay", true, Float.POSITIVE_INFINITY));
    public static final Setting<Integer> WARMUP_STEPS = add(whole("warmupSteps", null,
            "a tenth of the steps, at most 200", "linear warmup steps", 0, Integer.MAX_VALUE));
    public static final Setting<Float> WEIGHT_DECAY = add(number("weightDecay", 0.1f, null,
            "AdamW weight decay on matrices", true, Float.POSITIVE_INFINITY));
    public static final Setting<Float> BETA1 = add(number("beta1", 0.9f, null,
            "AdamW first-moment decay, below 1", true, 1f));
    public static final Setting<Float> BETA2 = add(number("beta2", 0.95f, null,
            "AdamW second-moment decay, below 1", true, 1f));
    public static final Setting<Float> EPSILON = add(number("epsilon", 1e-8f, null,
            "AdamW epsilon", false, Float.POSITIVE_INFINITY));
    public static final Setting<Float> GRADIENT_CLIP = add(number("gradientClip", 1.0f, null,
            "largest global gradient norm; 0 turns clipping off", true, Float.POSITIVE_INFINITY));
    public static final Setting<Long> SEED = add(new Setting<>("seed", "N", Long.class, DEFAULT_SEED, null,
            "seed of the initial weights and the data order", t -> {
                try {
                    return Long.parseLong(t);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("expected a whole number");
                }
            }, (v, key) -> { }, String::valueOf));
    public static final Setting<TrainOptions.NonFinitePolicy> ON_NAN = add(new Setting<>("onNan", "stop|skip",
            TrainOptions.NonFinitePolicy.class, TrainOptions.NonFinitePolicy.STOP, null,
            "a NaN or infinite loss stops training, or skips the batch", t -> {
                switch (t.toLowerCase(Locale.ROOT)) {
                    case "stop":
                        return TrainOptions.NonFinitePolicy.STOP;
                    case "skip":
                        return TrainOptions.NonFinitePolicy.SKIP;
                    default:
                        throw new IllegalArgumentException("expected stop or skip");
                }
            }, (v, key) -> { }, v -> v.name().toLowerCase(Locale.ROOT)));

    // ---------------------------------------------------------------- validation, checkpoints, output

    public static final Setting<Integer> EVAL_EVERY = add(whole("evalEvery", 100, null,
            "validation every N steps; 0: only at the end", 0, Integer.MAX_VALUE));
    public static final Setting<Integer> EVAL_WINDOWS = add(whole("evalWindows", 32, null,
            "validation windows", 1, Integer.MAX_VALUE));
    public static final Setting<Integer> CHECKPOINT_EVERY = add(whole("checkpointEvery", 200, null,
            "checkpoint every N steps; 0: only at the end", 0, Integer.MAX_VALUE));
    public static final Setting<Integer> LOG_EVERY = add(whole("logEvery", 10, null,
            "training loss in the metrics log every N steps", 1, Integer.MAX_VALUE));
    public static final Setting<Boolean> VALIDATION_ATTENTION_STATS = add(truth("validationAttentionStats", false,
            null, "also log sparsity, sink mass and rate and surviving mass at each validation"));
    public static final Setting<Boolean> PROGRESS = add(truth("progress", null,
            "true on a terminal, else false", "print a progress bar with loss, tokens/s and ETA"));
    public static final Setting<String> DEVICE = add(new Setting<>("device", "auto|cpu|gpu|gpu:N", String.class,
            null, "-Dlazyattention.device, else $LAZYATTENTION_DEVICE, else auto",
            "where the model trains", t -> t.toLowerCase(Locale.ROOT), DeviceChoice::resolve, v -> v));
    public static final Setting<String> LANGUAGE = add(new Setting<>("language", "CODE", String.class, "und", null,
            "language code written into the model file", t -> t, (v, key) -> { }, v -> v));

    private static <T> Setting<T> add(Setting<T> s) {
        ALL.add(s);
        BY_NAME.put(s.name(), s);
        return s;
    }

    private static Setting<Integer> whole(String name, Integer defaultValue, String computed, String description,
            int min, int max) {
        return new Setting<>(name, "N", Integer.class, defaultValue, computed, description, t -> {
            try {
                return Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected a whole number");
            }
        }, (v, key) -> {
            if (v < min) {
                throw new IllegalArgumentException(key + " must be >= " + min + ", got " + v);
            }
            if (v > max) {
                throw new IllegalArgumentException(key + " must be <= " + max + ", got " + v);
            }
        }, String::valueOf);
    }

    /** A finite number above 0 (or from 0 when {@code zeroAllowed}) and below {@code below}. */
    private static Setting<Float> number(String name, Float defaultValue, String computed, String description,
            boolean zeroAllowed, float below) {
        return new Setting<>(name, "X", Float.class, defaultValue, computed, description, t -> {
            try {
                return Float.parseFloat(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected a number");
            }
        }, (v, key) -> {
            boolean low = zeroAllowed ? !(v >= 0) : !(v > 0);
            if (low || !(v < below) || Float.isInfinite(v)) {
                throw new IllegalArgumentException(key + " must be a finite number " + (zeroAllowed ? ">= 0" : "> 0")
                        + (below < Float.POSITIVE_INFINITY ? " and < " + formatFloat(below) : "") + ", got " + v);
            }
        }, TrainingSettings::formatFloat);
    }

    private static Setting<Boolean> truth(String name, Boolean defaultValue, String computed, String description) {
        return new Setting<>(name, "true|false", Boolean.class, defaultValue, computed, description, t -> {
            switch (t.toLowerCase(Locale.ROOT)) {
                case "true":
                    return true;
                case "false":
                    return false;
                default:
                    throw new IllegalArgumentException("expected true or false");
            }
        }, (v, key) -> { }, String::valueOf);
    }

    /** {@code 0.001}, {@code 1e-8}: short and readable back by {@link Float#parseFloat}. */
    static String formatFloat(float v) {
        String s = Float.toString(v);
        return s.contains("E") ? s.replace(".0E", "e").replace("E", "e") : s;
    }

    /** Every setting, in the order of the README table. */
    public static List<Setting<?>> all() {
        return Collections.unmodifiableList(ALL);
    }

    /** The setting of this canonical name, or null. */
    public static Setting<?> named(String name) {
        return BY_NAME.get(name);
    }

    /** Whether a progress bar is shown when {@link #PROGRESS} is not set: when the JVM has a terminal. */
    public static boolean progressByDefault() {
        return System.console() != null;
    }

    // ---------------------------------------------------------------- the values

    /** Values set explicitly, by canonical name. */
    private final Map<String, Object> values;

    private TrainingSettings(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Every setting at its default. */
    public static TrainingSettings defaults() {
        return builder().build();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.values.putAll(values);
        return b;
    }

    /** Whether {@code setting} was given (even if equal to its default). */
    public boolean isSet(Setting<?> setting) {
        return values.containsKey(setting.name());
    }

    public <T> T get(Setting<T> setting) {
        return setting.get(this);
    }

    public String preset() {
        return get(PRESET);
    }

    public AttentionVariant attention() {
        return get(ATTENTION);
    }

    /** The tokenizer size asked for, or null for the preset's. */
    public Integer vocabSize() {
        return get(VOCAB_SIZE);
    }

    /** The tokenizer size to train: {@link #vocabSize()} or the preset's. */
    public int resolvedVocabSize() {
        Integer v = vocabSize();
        return v != null ? v : LmConfig.preset(preset()).build().vocabSize();
    }

    /** Null: the preset's. */
    public Integer contextLength() {
        return get(CONTEXT_LENGTH);
    }

    public int steps() {
        return get(STEPS);
    }

    public int batchSize() {
        return get(BATCH_SIZE);
    }

    public int gradAccum() {
        return get(GRAD_ACCUM);
    }

    public float learningRate() {
        return get(LEARNING_RATE);
    }

    public long seed() {
        return get(SEED);
    }

    /** Null: the terminal rule ({@link #progressByDefault()}). */
    public Boolean progress() {
        return get(PROGRESS);
    }

    /** Whether a progress bar is shown: {@link #PROGRESS} if set, else {@link #progressByDefault()}. */
    public boolean resolvedProgress() {
        Boolean p = progress();
        return p != null ? p : progressByDefault();
    }

    public String language() {
        return get(LANGUAGE);
    }

    /** The device: {@link #DEVICE} if set, else {@link DeviceChoice#fromEnvironment()}. */
    public Device device() {
        String d = get(DEVICE);
        return d == null ? DeviceChoice.fromEnvironment() : DeviceChoice.resolve(d, DEVICE.name());
    }

    /** The architecture: the preset with this object's overrides, for a tokenizer of {@code vocabSize} tokens. */
    public LmConfig config(int vocabSize) {
        LmConfig.Builder b = LmConfig.preset(preset()).setVocabSize(vocabSize).optAttention(attention());
        Integer layers = get(LAYERS);
        if (layers != null) {
            b.optNumLayers(layers);
        }
        Integer heads = get(HEADS);
        if (heads != null) {
            b.optNumHeads(heads);
        }
        Integer hidden = get(HIDDEN_SIZE);
        if (hidden != null) {
            b.optHiddenSize(hidden).optMlpHiddenSize(-1);
        }
        Integer kvHeads = get(KV_HEADS);
        if (kvHeads != null) {
            b.optNumKvHeads(kvHeads);
        }
        Integer context = contextLength();
        Integer bias = get(BIAS_LENGTH);
        if (context != null) {
            b.optContextLength(context);
            if (bias == null) {
                b.optBiasLength(context);
            }
        }
        if (bias != null) {
            b.optBiasLength(bias);
        }
        b.optStartToken(get(START_TOKEN));
        return b.build();
    }

    /** The trainer's options; {@link #PROGRESS} resolved by the terminal rule when not set. */
    public TrainOptions trainOptions() {
        TrainOptions.Builder b = TrainOptions.builder()
                .optSteps(steps())
                .optBatchSize(batchSize())
                .optGradientAccumulation(gradAccum())
                .optLearningRate(learningRate())
                .optWeightDecay(get(WEIGHT_DECAY))
                .optBetas(get(BETA1), get(BETA2))
                .optEpsilon(get(EPSILON))
                .optGradientClip(get(GRADIENT_CLIP))
                .optSeed(seed())
                .optEvalEvery(get(EVAL_EVERY))
                .optEvalWindows(get(EVAL_WINDOWS))
                .optCheckpointEvery(get(CHECKPOINT_EVERY))
                .optLogEvery(get(LOG_EVERY))
                .optNonFinite(get(ON_NAN))
                .optValidationAttentionStats(get(VALIDATION_ATTENTION_STATS))
                .optProgressBar(resolvedProgress());
        Integer sequenceLength = get(SEQUENCE_LENGTH);
        if (sequenceLength != null) {
            b.optSequenceLength(sequenceLength);
        }
        Float minLearningRate = get(MIN_LEARNING_RATE);
        if (minLearningRate != null) {
            b.optMinLearningRate(minLearningRate);
        }
        Integer warmup = get(WARMUP_STEPS);
        if (warmup != null) {
            b.optWarmupSteps(warmup);
        }
        return b.build();
    }

    /** Equal when every setting has the same effective value (set or default). */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TrainingSettings)) {
            return false;
        }
        TrainingSettings other = (TrainingSettings) o;
        for (Setting<?> s : ALL) {
            if (!Objects.equals(s.get(this), s.get(other))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        List<Object> all = new ArrayList<>();
        for (Setting<?> s : ALL) {
            all.add(s.get(this));
        }
        return all.hashCode();
    }

    /** The settings that were given, as {@code name=value}. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Setting<?> s : ALL) {
            if (isSet(s)) {
                parts.add(s.name() + "=" + text(s));
            }
        }
        return "TrainingSettings" + parts;
    }

    private <T> String text(Setting<T> s) {
        return s.format(s.get(this));
    }

    /** Builder of {@link TrainingSettings}; each {@code opt*} checks its value at once. */
    public static final class Builder {

        private final Map<String, Object> values = new LinkedHashMap<>();

        private Builder() {}

        private <T> Builder put(Setting<T> s, T value) {
            s.check(value, s.name());
            values.put(s.name(), value);
            return this;
        }

        /**
         * Sets a setting from text, as a front end received it.
         *
         * @param name the canonical name
         * @param key the front end's name for it (an option, a property), for error messages
         * @throws IllegalArgumentException for an unknown name, or naming {@code key} for a bad value
         */
        public Builder optText(String name, String text, String key) {
            Setting<?> s = named(name);
            if (s == null) {
                throw new IllegalArgumentException("unknown training setting " + name + "; did you mean "
                        + ClosestName.closest(name, BY_NAME.keySet()) + "?");
            }
            values.put(name, s.parse(text, key));
            return this;
        }

        /** Sets a setting by its descriptor. */
        public <T> Builder opt(Setting<T> setting, T value) {
            return put(setting, value);
        }

        /** Forgets a value, so that the setting takes its default again. */
        public Builder unset(Setting<?> setting) {
            values.remove(setting.name());
            return this;
        }

        public Builder optPreset(String v) {
            return put(PRESET, PRESET.parse(v, PRESET.name()));
        }

        public Builder optAttention(AttentionVariant v) {
            return put(ATTENTION, v);
        }

        public Builder optVocabSize(int v) {
            return put(VOCAB_SIZE, v);
        }

        public Builder optLayers(int v) {
            return put(LAYERS, v);
        }

        public Builder optHiddenSize(int v) {
            return put(HIDDEN_SIZE, v);
        }

        public Builder optHeads(int v) {
            return put(HEADS, v);
        }

        public Builder optKvHeads(int v) {
            return put(KV_HEADS, v);
        }

        public Builder optContextLength(int v) {
            return put(CONTEXT_LENGTH, v);
        }

        public Builder optBiasLength(int v) {
            return put(BIAS_LENGTH, v);
        }

        public Builder optStartToken(boolean v) {
            return put(START_TOKEN, v);
        }

        public Builder optSteps(int v) {
            return put(STEPS, v);
        }

        public Builder optBatchSize(int v) {
            return put(BATCH_SIZE, v);
        }

        public Builder optGradAccum(int v) {
            return put(GRAD_ACCUM, v);
        }

        public Builder optSequenceLength(int v) {
            return put(SEQUENCE_LENGTH, v);
        }

        public Builder optLearningRate(float v) {
            return put(LEARNING_RATE, v);
        }

        public Builder optMinLearningRate(float v) {
            return put(MIN_LEARNING_RATE, v);
        }

        public Builder optWarmupSteps(int v) {
            return put(WARMUP_STEPS, v);
        }

        public Builder optWeightDecay(float v) {
            return put(WEIGHT_DECAY, v);
        }

        public Builder optBeta1(float v) {
            return put(BETA1, v);
        }

        public Builder optBeta2(float v) {
            return put(BETA2, v);
        }

        public Builder optEpsilon(float v) {
            return put(EPSILON, v);
        }

        public Builder optGradientClip(float v) {
            return put(GRADIENT_CLIP, v);
        }

        public Builder optSeed(long v) {
            return put(SEED, v);
        }

        public Builder optOnNan(TrainOptions.NonFinitePolicy v) {
            return put(ON_NAN, v);
        }

        public Builder optEvalEvery(int v) {
            return put(EVAL_EVERY, v);
        }

        public Builder optEvalWindows(int v) {
            return put(EVAL_WINDOWS, v);
        }

        public Builder optCheckpointEvery(int v) {
            return put(CHECKPOINT_EVERY, v);
        }

        public Builder optLogEvery(int v) {
            return put(LOG_EVERY, v);
        }

        public Builder optValidationAttentionStats(boolean v) {
            return put(VALIDATION_ATTENTION_STATS, v);
        }

        public Builder optProgress(boolean v) {
            return put(PROGRESS, v);
        }

        /** {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}; checked against the engine's GPUs. */
        public Builder optDevice(String v) {
            return put(DEVICE, DEVICE.parse(v, DEVICE.name()));
        }

        public Builder optLanguage(String v) {
            return put(LANGUAGE, LANGUAGE.parse(v, LANGUAGE.name()));
        }

        /** Builds; errors name settings by their canonical names. */
        public TrainingSettings build() {
            return build(Function.identity());
        }

        /**
         * Builds, checking what single values cannot: that the model settings make an architecture and the
         * window fits the context.
         *
         * @param keys a front end's name for each canonical name, for error messages
         * @throws IllegalArgumentException naming the settings that do not fit together
         */
        public TrainingSettings build(Function<String, String> keys) {
            TrainingSettings settings = new TrainingSettings(values);
            LmConfig config;
            try {
                // With the preset's vocabulary: the tokenizer fixes the real one, which changes no other check.
                config = settings.config(LmConfig.preset(settings.preset()).build().vocabSize());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(keys.apply(PRESET.name()) + " " + settings.preset()
                        + " with the settings given: " + e.getMessage(), e);
            }
            Integer sequenceLength = SEQUENCE_LENGTH.get(settings);
            if (sequenceLength != null && sequenceLength > config.contextLength()) {
                throw new IllegalArgumentException(keys.apply(SEQUENCE_LENGTH.name()) + " " + sequenceLength
                        + " is longer than the context length " + config.contextLength());
            }
            return settings;
        }
    }
}

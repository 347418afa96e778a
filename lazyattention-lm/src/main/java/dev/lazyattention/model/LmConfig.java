package dev.lazyattention.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.attention.LazyAttentionBlock;
import dev.lazyattention.settings.InvalidSetting;
import dev.lazyattention.settings.Setting;
import dev.lazyattention.settings.SettingTable;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Architecture of a {@link LazyLmBlock}: sizes, attention variant and its options. Immutable; every value is
 * checked when the record is made ({@link #SETTINGS}, then the sizes together), with a message naming the
 * field; {@link #with} derives variants. Stored as {@code config.json} in the model file.
 *
 * <p>Presets: {@code tiny} (tests, trains in seconds, about 158 K parameters), {@code mini} (short CPU
 * experiments, about 1.0 M parameters with a 1024-token vocabulary, context 128), {@code small} (CPU
 * experiments, about 6.9 M parameters with a 4096-token vocabulary, context 256), {@code base} (GPU, about
 * 110 M parameters).
 *
 * @param numKvHeads key/value heads for grouped-query attention, dividing {@code numHeads}
 * @param mlpHiddenSize width of the SwiGLU layer
 * @param contextLength longest window the model sees, at most {@link #CONTEXT_LIMIT}
 * @param biasLength distances with a learned bias, at most {@link #CONTEXT_LIMIT}
 * @param startToken whether the model was trained with the end-of-text token at position 0 of every window
 *     (a fixed start-of-sequence token): every scoring path then feeds each window that does not already
 *     begin with that token with it prepended, as the model saw its inputs in training
 */
public record LmConfig(int vocabSize, int numLayers, int hiddenSize, int numHeads, int numKvHeads, int mlpHiddenSize,
        int contextLength, AttentionVariant attention, int biasLength, double ropeBase, float tauInit,
        float biasInitStd, float normEpsilon, boolean startToken) {

    /** Format of {@code config.json}; a reader accepts this version and older ones. */
    public static final int FORMAT_VERSION = 1;

    /** Largest value accepted for any size, so that a corrupt or hostile file cannot ask for absurd memory. */
    static final int SIZE_LIMIT = 1 << 20;
    /** Largest number of layers accepted. */
    static final int LAYER_LIMIT = 1024;
    /**
     * Largest {@code contextLength} (and {@code biasLength}) accepted: {@value}, the positions a {@link
     * LazyAttentionBlock} accepts by default ({@link LazyAttentionBlock#DEFAULT_MAX_POSITIONS}). Nothing in the
     * weights bounds the context (RoPE has no learned position table), so the bound comes from what one window
     * costs: {@code T x T} mask and distance entries on the Java heap, and {@code heads x T x T x 4} bytes of
     * scores per layer and sequence unless queries are chunked. A file asking for more is refused.
     */
    public static final int CONTEXT_LIMIT = LazyAttentionBlock.DEFAULT_MAX_POSITIONS;

    /** The presets' RoPE base, initial {@code tau} and initial distance-bias spread. */
    public static final double DEFAULT_ROPE_BASE = 10000;
    public static final float DEFAULT_TAU_INIT = -1f;
    public static final float DEFAULT_BIAS_INIT_STD = 1e-3f;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    // The settings, in the order of the record's components; all but startToken are required.
    public static final Setting<Integer> VOCAB_SIZE = Setting.whole("vocabSize", null, 2, SIZE_LIMIT,
            "tokenizer size");
    public static final Setting<Integer> NUM_LAYERS = Setting.whole("numLayers", null, 1, LAYER_LIMIT,
            "decoder layers");
    public static final Setting<Integer> HIDDEN_SIZE = Setting.whole("hiddenSize", null, 2, SIZE_LIMIT,
            "hidden size");
    public static final Setting<Integer> NUM_HEADS = Setting.whole("numHeads", null, 1, SIZE_LIMIT,
            "attention heads, dividing hiddenSize into heads of even size (RoPE rotates pairs)");
    public static final Setting<Integer> NUM_KV_HEADS = Setting.whole("numKvHeads", null, 1, SIZE_LIMIT,
            "key/value heads for grouped-query attention, dividing numHeads");
    public static final Setting<Integer> MLP_HIDDEN_SIZE = Setting.whole("mlpHiddenSize", null, 1, SIZE_LIMIT,
            "width of the SwiGLU layer");
    public static final Setting<Integer> CONTEXT_LENGTH = Setting.whole("contextLength", null, 2, CONTEXT_LIMIT,
            "longest window the model sees");
    public static final Setting<AttentionVariant> ATTENTION = Setting.of("attention", AttentionVariant.class, null,
            "attention variant");
    public static final Setting<Integer> BIAS_LENGTH = Setting.whole("biasLength", null, 1, CONTEXT_LIMIT,
            "distances with a learned bias");
    public static final Setting<Double> ROPE_BASE = Setting.of("ropeBase", Double.class, null, "RoPE base")
            .checked(v -> v > 1 && !v.isInfinite() ? null : " must be a finite number > 1, got " + v);
    public static final Setting<Float> TAU_INIT = Setting.of("tauInit", Float.class, null,
            "initial Elastic-Softmax offset").checked(v -> Float.isFinite(v) ? null : " must be finite, got " + v);
    public static final Setting<Float> BIAS_INIT_STD = Setting.number("biasInitStd", null, true,
            Float.POSITIVE_INFINITY, "spread of the initial distance bias");
    public static final Setting<Float> NORM_EPSILON = Setting.number("normEpsilon", null, false,
            Float.POSITIVE_INFINITY, "RMSNorm epsilon");
    public static final Setting<Boolean> START_TOKEN = Setting.of("startToken", Boolean.class, false,
            "end-of-text token at position 0 of every window");

    /** Every setting, in the order of the record's components (no front end sets them one by one). */
    public static final SettingTable<LmConfig> SETTINGS = new SettingTable<>(LmConfig.class, Map.of(), List.of(
            VOCAB_SIZE, NUM_LAYERS, HIDDEN_SIZE, NUM_HEADS, NUM_KV_HEADS, MLP_HIDDEN_SIZE, CONTEXT_LENGTH, ATTENTION,
            BIAS_LENGTH, ROPE_BASE, TAU_INIT, BIAS_INIT_STD, NORM_EPSILON, START_TOKEN));

    /** @throws InvalidSetting naming the field, its value and the rule */
    public LmConfig {
        SETTINGS.check(vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength,
                attention, biasLength, ropeBase, tauInit, biasInitStd, normEpsilon, startToken);
        if (hiddenSize % numHeads != 0 || (hiddenSize / numHeads) % 2 != 0) {
            throw new InvalidSetting(NUM_HEADS, " " + numHeads + " does not divide hiddenSize " + hiddenSize
                    + " into heads of even size");
        }
        if (numHeads % numKvHeads != 0) {
            throw new InvalidSetting(NUM_KV_HEADS, " " + numKvHeads + " does not divide numHeads " + numHeads);
        }
    }

    /**
     * A named preset ({@code tiny}, {@code mini}, {@code small}, {@code base}). {@link #with} changes one
     * component at a time and checks the result like any new configuration, so sizes that depend on each other
     * (heads dividing the hidden size, key/value heads dividing the heads) change in an order where each step
     * is valid.
     */
    public static LmConfig preset(String name) {
        return switch (name == null ? "" : name.trim().toLowerCase(Locale.ROOT)) {
            case "tiny" -> sized(512, 2, 64, 4, 2, 64);
            case "mini" -> sized(1024, 4, 128, 4, 2, 128);
            case "small" -> sized(4096, 6, 256, 8, 8, 256);
            case "base" -> sized(16384, 12, 768, 12, 12, 1024);
            default -> throw new IllegalArgumentException(
                    "Unknown preset '" + name + "'; expected one of tiny, mini, small, base");
        };
    }

    /** Lazy attention with these sizes, the default MLP width and initialisation, and no start token. */
    private static LmConfig sized(int vocab, int layers, int hidden, int heads, int kvHeads, int context) {
        return new LmConfig(vocab, layers, hidden, heads, kvHeads, defaultMlpHiddenSize(hidden), context,
                AttentionVariant.LAZY, context, DEFAULT_ROPE_BASE, DEFAULT_TAU_INIT, DEFAULT_BIAS_INIT_STD, 1e-5f,
                false);
    }

    /** The SwiGLU width that keeps the MLP's parameters at 8 hidden^2: 8/3 of it, a multiple of 16. */
    public static int defaultMlpHiddenSize(int hiddenSize) {
        return (hiddenSize * 8 / 3 + 15) / 16 * 16;
    }

    /** A copy with one component changed, checked like a new configuration. */
    public <T> LmConfig with(Setting<T> setting, T value) {
        return SETTINGS.builder(this).set(setting, value).build();
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** Number of learnable parameters of a model with this configuration, computed from the sizes. */
    public long parameterCount() {
        long c = hiddenSize;
        long kv = (long) numKvHeads * headDim();
        long attentionWeights = c * c * 2 + c * kv * 2; // Wq, Wo, Wk, Wv
        long lazyExtras = (attention.hasElasticSoftmax() ? numHeads : 0)
                + (attention.hasDistanceBias() ? (long) numHeads * biasLength : 0)
                + (attention.hasOutputGate() ? c * numHeads : 0) // Wg [C -> H]
                + (attention.hasLearnedSink() ? numHeads : 0); // sinks [H]
        long mlp = 3 * c * mlpHiddenSize;
        long norms = 2 * c;
        long perLayer = attentionWeights + lazyExtras + mlp + norms;
        return (long) vocabSize * c * 2 + perLayer * numLayers + c;
    }

    /** The architecture's name in {@code config.json}: a name of the file format, not of a Java class. */
    public static final String ARCHITECTURE = "LazyLm";

    /** The configuration as the JSON object of {@code config.json}: each component under its name. */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("format", FORMAT_VERSION);
        o.addProperty("architecture", ARCHITECTURE);
        SETTINGS.toJson(this).entrySet().forEach(e -> o.add(e.getKey(), e.getValue()));
        if (!startToken) {
            o.remove("startToken"); // written only when on: a missing key reads as false
        }
        return GSON.toJson(o);
    }

    /**
     * Reads {@code config.json}: its format and architecture, then every component strictly by its type
     * ({@link SettingTable#fromJson}), {@code startToken} false when absent.
     *
     * @param source names the file in error messages
     * @throws IllegalArgumentException naming the source and the bad field
     */
    public static LmConfig fromJson(String json, String source) {
        JsonObject o;
        try {
            o = JsonParser.parseString(json).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException(source + ": not a JSON object (" + e.getMessage() + ")", e);
        }
        JsonElement format = o.remove("format");
        double version = format != null && format.isJsonPrimitive() && format.getAsJsonPrimitive().isNumber()
                ? format.getAsDouble() : 0;
        if (version < 1 || version > FORMAT_VERSION || version != Math.rint(version)) {
            throw new IllegalArgumentException(source + ": format " + format + " is not supported (this library "
                    + "reads 1 to " + FORMAT_VERSION + ")");
        }
        JsonElement architecture = o.remove("architecture");
        if (architecture == null || !architecture.isJsonPrimitive()
                || !ARCHITECTURE.equals(architecture.getAsString())) {
            throw new IllegalArgumentException(source + ": architecture " + architecture + " is not " + ARCHITECTURE);
        }
        return SETTINGS.fromJson(o, source);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "LmConfig(%s, layers=%d, hidden=%d, heads=%d/%d kv, mlp=%d, context=%d, vocab=%d, Lb=%d%s)",
                attention.id(), numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength,
                vocabSize, biasLength, startToken ? ", start token" : "");
    }
}

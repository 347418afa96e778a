package dev.lazyattention.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.attention.LazyAttentionBlock;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Locale;

/**
 * Architecture of a {@link LazyLmBlock}: sizes, attention variant and its options. Immutable; every value is
 * checked when the record is made, with a message naming the field; {@code with*} copies derive variants.
 * Stored as {@code config.json} in the model file.
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

    /** @throws IllegalArgumentException naming the field, its value and the limit */
    public LmConfig {
        range("vocabSize", vocabSize, 2, SIZE_LIMIT);
        range("numLayers", numLayers, 1, LAYER_LIMIT);
        range("hiddenSize", hiddenSize, 2, SIZE_LIMIT);
        range("numHeads", numHeads, 1, hiddenSize);
        range("mlpHiddenSize", mlpHiddenSize, 1, SIZE_LIMIT);
        range("contextLength", contextLength, 2, SIZE_LIMIT);
        range("biasLength", biasLength, 1, SIZE_LIMIT);
        positions("contextLength", contextLength);
        positions("biasLength", biasLength);
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hiddenSize " + hiddenSize + " is not divisible by numHeads " + numHeads);
        }
        if ((hiddenSize / numHeads) % 2 != 0) {
            throw new IllegalArgumentException(
                    "head size hiddenSize/numHeads = " + hiddenSize / numHeads + " must be even for RoPE");
        }
        range("numKvHeads", numKvHeads, 1, numHeads);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException(
                    "numHeads " + numHeads + " is not divisible by numKvHeads " + numKvHeads);
        }
        if (attention == null) {
            throw new IllegalArgumentException("attention variant must be set");
        }
        if (!(ropeBase > 1) || Double.isInfinite(ropeBase)) {
            throw new IllegalArgumentException("ropeBase must be a finite number > 1, got " + ropeBase);
        }
        if (!Float.isFinite(tauInit) || !(biasInitStd >= 0) || Float.isInfinite(biasInitStd)
                || !(normEpsilon > 0) || Float.isInfinite(normEpsilon)) {
            throw new IllegalArgumentException("tauInit, biasInitStd and normEpsilon must be finite "
                    + "(and the last two > 0 / >= 0), got " + tauInit + ", " + biasInitStd + ", " + normEpsilon);
        }
    }

    private static void positions(String name, int value) {
        if (value > CONTEXT_LIMIT) {
            throw new IllegalArgumentException(name + " " + value + " exceeds " + CONTEXT_LIMIT
                    + ", the positions a LazyAttentionBlock accepts (its attention masks and scores grow"
                    + " with the square of the context)");
        }
    }

    private static void range(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    name + " = " + value + " is outside the accepted range [" + min + ", " + max + "]");
        }
    }

    /**
     * A named preset ({@code tiny}, {@code mini}, {@code small}, {@code base}). The {@code with*} copies change
     * one component each and are checked like any new configuration, so sizes that depend on each other (heads
     * dividing the hidden size, key/value heads dividing the heads) change in an order where each step is valid.
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

    public LmConfig withVocabSize(int v) {
        return new LmConfig(v, numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength, attention,
                biasLength, ropeBase, tauInit, biasInitStd, normEpsilon, startToken);
    }

    public LmConfig withNumLayers(int v) {
        return new LmConfig(vocabSize, v, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength, attention,
                biasLength, ropeBase, tauInit, biasInitStd, normEpsilon, startToken);
    }

    public LmConfig withHiddenSize(int v) {
        return new LmConfig(vocabSize, numLayers, v, numHeads, numKvHeads, mlpHiddenSize, contextLength,
                attention, biasLength, ropeBase, tauInit, biasInitStd, normEpsilon, startToken);
    }

    public LmConfig withNumHeads(int v) {
        return new LmConfig(vocabSize, numLayers, hiddenSize, v, numKvHeads, mlpHiddenSize, contextLength, attention,
                biasLength, ropeBase, tauInit, biasInitStd, normEpsilon, startToken);
    }

    /** Key/value heads for grouped-query attention, dividing numHeads. */
    public LmConfig withNumKvHeads(int v) {
        return new LmConfig(vocabSize, numLayers, hiddenSize, numHeads, v, mlpHiddenSize, contextLength, attention,
                biasLength, ropeBase, tauInit, biasInitStd, normEpsilon, startToken);
    }

    public LmConfig withMlpHiddenSize(int v) {
        return new LmConfig(vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, v, contextLength, attention,
                biasLength, ropeBase, tauInit, biasInitStd, normEpsilon, startToken);
    }

    public LmConfig withContextLength(int v) {
        return new LmConfig(vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, v, attention,
                biasLength, ropeBase, tauInit, biasInitStd, normEpsilon, startToken);
    }

    public LmConfig withAttention(AttentionVariant v) {
        return new LmConfig(vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength, v,
                biasLength, ropeBase, tauInit, biasInitStd, normEpsilon, startToken);
    }

    public LmConfig withBiasLength(int v) {
        return new LmConfig(vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength,
                attention, v, ropeBase, tauInit, biasInitStd, normEpsilon, startToken);
    }

    public LmConfig withRopeBase(double v) {
        return new LmConfig(vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength,
                attention, biasLength, v, tauInit, biasInitStd, normEpsilon, startToken);
    }

    public LmConfig withTauInit(float v) {
        return new LmConfig(vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength,
                attention, biasLength, ropeBase, v, biasInitStd, normEpsilon, startToken);
    }

    public LmConfig withBiasInitStd(float v) {
        return new LmConfig(vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength,
                attention, biasLength, ropeBase, tauInit, v, normEpsilon, startToken);
    }

    public LmConfig withNormEpsilon(float v) {
        return new LmConfig(vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength,
                attention, biasLength, ropeBase, tauInit, biasInitStd, v, startToken);
    }

    /** Inputs begin with the end-of-text token at position 0 of every window. */
    public LmConfig withStartToken(boolean v) {
        return new LmConfig(vocabSize, numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength,
                attention, biasLength, ropeBase, tauInit, biasInitStd, normEpsilon, v);
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
        GSON.toJsonTree(this).getAsJsonObject().entrySet().forEach(e -> o.add(e.getKey(), e.getValue()));
        o.addProperty("attention", attention.id());
        if (!startToken) {
            o.remove("startToken"); // written only when on: a missing key reads as false
        }
        return GSON.toJson(o);
    }

    /**
     * Reads {@code config.json}: every component by its name, {@code startToken} false when absent.
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
        int format = (int) read(o, "format", int.class, source);
        if (format < 1 || format > FORMAT_VERSION) {
            throw new IllegalArgumentException(
                    source + ": format " + format + " is not supported (this library reads 1 to " + FORMAT_VERSION + ")");
        }
        Object architecture = read(o, "architecture", String.class, source);
        if (!ARCHITECTURE.equals(architecture)) {
            throw new IllegalArgumentException(source + ": architecture '" + architecture + "' is not " + ARCHITECTURE);
        }
        RecordComponent[] components = LmConfig.class.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            String name = components[i].getName();
            values[i] = name.equals("startToken") && !o.has(name) ? false : read(o, name, types[i], source);
        }
        try {
            return LmConfig.class.getDeclaredConstructor(types).newInstance(values);
        } catch (InvocationTargetException e) {
            throw new IllegalArgumentException(source + ": " + e.getCause().getMessage(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One field of a {@code config.json}, strictly of its type: no text for a number, no 64.5 for an int. */
    private static Object read(JsonObject o, String name, Class<?> type, String source) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException(source + ": missing field '" + name + "'");
        }
        JsonPrimitive p = e.isJsonPrimitive() ? e.getAsJsonPrimitive() : null;
        if (p != null && (type == boolean.class ? p.isBoolean() : type.isPrimitive() ? p.isNumber() : p.isString())) {
            double number = p.isNumber() ? p.getAsDouble() : 0;
            if (type == int.class && (number != Math.rint(number) || Math.abs(number) > Integer.MAX_VALUE)) {
                throw new IllegalArgumentException(source + ": field '" + name + "' must be an integer, got " + e);
            }
            try {
                return type == int.class ? (Object) (int) number : type == double.class ? (Object) number
                        : type == float.class ? (Object) (float) number : type == boolean.class ? (Object) p.getAsBoolean()
                        : type == AttentionVariant.class ? AttentionVariant.parse(p.getAsString()) : p.getAsString();
            } catch (IllegalArgumentException x) {
                throw new IllegalArgumentException(source + ": field '" + name + "': " + x.getMessage(), x);
            }
        }
        throw new IllegalArgumentException(source + ": field '" + name + "' must be "
                + (type == boolean.class ? "true or false" : type.isPrimitive() ? "a number" : "a string") + ", got " + e);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "LmConfig(%s, layers=%d, hidden=%d, heads=%d/%d kv, mlp=%d, context=%d, vocab=%d, Lb=%d%s)",
                attention.id(), numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength,
                vocabSize, biasLength, startToken ? ", start token" : "");
    }
}

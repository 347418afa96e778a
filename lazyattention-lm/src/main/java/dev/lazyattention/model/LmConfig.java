package dev.lazyattention.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.attention.LazyAttentionBlock;

import java.util.Locale;

/**
 * Architecture of a {@link LazyLmBlock}: sizes, attention variant and its options. Immutable; every value is
 * checked when the record is made, with a message naming the field; {@link #toBuilder()} derives variants.
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

    /** A named preset ({@code tiny}, {@code mini}, {@code small}, {@code base}). */
    public static Builder preset(String name) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (key) {
            case "tiny":
                return new Builder().setVocabSize(512).optNumLayers(2).optHiddenSize(64).optNumHeads(4).optNumKvHeads(2)
                        .optMlpHiddenSize(176).optContextLength(64).optBiasLength(64);
            case "mini":
                return new Builder().setVocabSize(1024).optNumLayers(4).optHiddenSize(128).optNumHeads(4).optNumKvHeads(2)
                        .optMlpHiddenSize(352).optContextLength(128).optBiasLength(128);
            case "small":
                return new Builder().setVocabSize(4096).optNumLayers(6).optHiddenSize(256).optNumHeads(8).optNumKvHeads(8)
                        .optMlpHiddenSize(688).optContextLength(256).optBiasLength(256);
            case "base":
                return new Builder().setVocabSize(16384).optNumLayers(12).optHiddenSize(768).optNumHeads(12).optNumKvHeads(12)
                        .optMlpHiddenSize(2048).optContextLength(1024).optBiasLength(1024);
            default:
                throw new IllegalArgumentException(
                        "Unknown preset '" + name + "'; expected one of tiny, mini, small, base");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().setVocabSize(vocabSize).optNumLayers(numLayers).optHiddenSize(hiddenSize).optNumHeads(numHeads)
                .optNumKvHeads(numKvHeads).optMlpHiddenSize(mlpHiddenSize).optContextLength(contextLength)
                .optAttention(attention).optBiasLength(biasLength).optRopeBase(ropeBase).optTauInit(tauInit)
                .optBiasInitStd(biasInitStd).optNormEpsilon(normEpsilon).optStartToken(startToken);
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
     * Reads {@code config.json}.
     *
     * @param source names the file in error messages
     * @throws IllegalArgumentException naming the source and the bad field
     */
    public static LmConfig fromJson(String json, String source) {
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException(source + ": expected a JSON object");
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(source + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        int format = intField(o, "format", source);
        if (format < 1 || format > FORMAT_VERSION) {
            throw new IllegalArgumentException(
                    source + ": format " + format + " is not supported (this library reads 1 to " + FORMAT_VERSION + ")");
        }
        String architecture = stringField(o, "architecture", source);
        if (!architecture.equals(ARCHITECTURE)) {
            throw new IllegalArgumentException(source + ": architecture '" + architecture + "' is not " + ARCHITECTURE);
        }
        Builder b = new Builder()
                .setVocabSize(intField(o, "vocabSize", source))
                .optNumLayers(intField(o, "numLayers", source))
                .optHiddenSize(intField(o, "hiddenSize", source))
                .optNumHeads(intField(o, "numHeads", source))
                .optNumKvHeads(intField(o, "numKvHeads", source))
                .optMlpHiddenSize(intField(o, "mlpHiddenSize", source))
                .optContextLength(intField(o, "contextLength", source))
                .optBiasLength(intField(o, "biasLength", source))
                .optRopeBase(numberField(o, "ropeBase", source))
                .optTauInit((float) numberField(o, "tauInit", source))
                .optBiasInitStd((float) numberField(o, "biasInitStd", source))
                .optNormEpsilon((float) numberField(o, "normEpsilon", source));
        JsonElement start = o.get("startToken"); // absent: off
        if (start != null && !start.isJsonNull()) {
            if (!start.isJsonPrimitive() || !start.getAsJsonPrimitive().isBoolean()) {
                throw new IllegalArgumentException(source + ": field 'startToken' must be true or false");
            }
            b.optStartToken(start.getAsBoolean());
        }
        try {
            b.optAttention(AttentionVariant.parse(stringField(o, "attention", source)));
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static JsonElement field(JsonObject o, String name, String source) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException(source + ": missing field '" + name + "'");
        }
        return e;
    }

    private static int intField(JsonObject o, String name, String source) {
        double v = numberField(o, name, source);
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(source + ": field '" + name + "' must be an integer, got " + v);
        }
        return (int) v;
    }

    private static double numberField(JsonObject o, String name, String source) {
        try {
            return field(o, name, source).getAsDouble();
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException e) {
            throw new IllegalArgumentException(source + ": field '" + name + "' must be a number", e);
        }
    }

    private static String stringField(JsonObject o, String name, String source) {
        JsonElement e = field(o, name, source);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException(source + ": field '" + name + "' must be a string");
        }
        return e.getAsString();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "LmConfig(%s, layers=%d, hidden=%d, heads=%d/%d kv, mlp=%d, context=%d, vocab=%d, Lb=%d%s)",
                attention.id(), numLayers, hiddenSize, numHeads, numKvHeads, mlpHiddenSize, contextLength,
                vocabSize, biasLength, startToken ? ", start token" : "");
    }

    /** Builder of {@link LmConfig}; {@link #build()} checks every field against its limits. */
    public static final class Builder {
        private int vocabSize = 512;
        private int numLayers = 2;
        private int hiddenSize = 64;
        private int numHeads = 4;
        private int numKvHeads = -1;
        private int mlpHiddenSize = -1;
        private int contextLength = 64;
        private AttentionVariant attention = AttentionVariant.LAZY;
        private int biasLength = -1;
        private double ropeBase = 10000;
        private float tauInit = -1f;
        private float biasInitStd = 1e-3f;
        private float normEpsilon = 1e-5f;
        private boolean startToken;

        private Builder() {}

        public Builder setVocabSize(int v) {
            vocabSize = v;
            return this;
        }

        public Builder optNumLayers(int v) {
            numLayers = v;
            return this;
        }

        public Builder optHiddenSize(int v) {
            hiddenSize = v;
            return this;
        }

        public Builder optNumHeads(int v) {
            numHeads = v;
            return this;
        }

        /** Key/value heads for grouped-query attention (default: numHeads). */
        public Builder optNumKvHeads(int v) {
            numKvHeads = v;
            return this;
        }

        /** Width of the SwiGLU layer (default: 8/3 of hiddenSize rounded up to a multiple of 16). */
        public Builder optMlpHiddenSize(int v) {
            mlpHiddenSize = v;
            return this;
        }

        /** Longest window the model sees, at most {@link LmConfig#CONTEXT_LIMIT}. */
        public Builder optContextLength(int v) {
            contextLength = v;
            return this;
        }

        public Builder optAttention(AttentionVariant v) {
            attention = v;
            return this;
        }

        /** Distances with a learned bias (default: the context length). */
        public Builder optBiasLength(int v) {
            biasLength = v;
            return this;
        }

        public Builder optRopeBase(double v) {
            ropeBase = v;
            return this;
        }

        public Builder optTauInit(float v) {
            tauInit = v;
            return this;
        }

        public Builder optBiasInitStd(float v) {
            biasInitStd = v;
            return this;
        }

        public Builder optNormEpsilon(float v) {
            normEpsilon = v;
            return this;
        }

        /** Inputs begin with the end-of-text token at position 0 of every window (default: off). */
        public Builder optStartToken(boolean v) {
            startToken = v;
            return this;
        }

        /** @throws IllegalArgumentException naming the field, its value and the limit */
        public LmConfig build() {
            return new LmConfig(vocabSize, numLayers, hiddenSize, numHeads, numKvHeads == -1 ? numHeads : numKvHeads,
                    mlpHiddenSize == -1 ? (hiddenSize * 8 / 3 + 15) / 16 * 16 : mlpHiddenSize, contextLength, attention,
                    biasLength == -1 ? contextLength : biasLength, ropeBase, tauInit, biasInitStd, normEpsilon,
                    startToken);
        }
    }
}

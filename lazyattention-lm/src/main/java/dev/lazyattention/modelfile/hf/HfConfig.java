package dev.lazyattention.modelfile.hf;

import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.model.LmConfig;

import ai.djl.ndarray.types.DataType;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code config.json} of a model folder in Hugging Face's keys (docs/design.md §5). A model of ours is
 * written as {@code model_type} {@code lazy_attention} with every Lazy Attention setting under a plain name;
 * a {@link AttentionVariant#SOFTMAX} model, which is exactly a Llama, as {@code llama}, so that Llama code
 * reads it as it is. Reading accepts both and refuses, naming the key and its value, every setting that our
 * network cannot compute (RoPE scaling, biases on projections, sliding windows, another activation, another
 * head size): such a model is never approximated.
 *
 * <p>Text boundary: our models have one special token, {@code <|endoftext|>}, written as both {@code
 * bos_token_id} and {@code eos_token_id}. A {@code llama} folder's boundary token is its {@code bos_token_id}
 * (else its {@code eos_token_id}), and it starts every window ({@code start_token}) when the folder says so
 * with {@code start_token}, or else when it has a beginning-of-sequence token distinct from its end token
 * (Llama's convention: every sequence begins with BOS); with one token for both (GPT-2's convention) the
 * token only separates documents.
 */
public final class HfConfig {

    public static final String LAZY_TYPE = "lazy_attention";
    public static final String LLAMA_TYPE = "llama";
    public static final String LAZY_ARCHITECTURE = "LazyAttentionForCausalLM";
    public static final String LLAMA_ARCHITECTURE = "LlamaForCausalLM";

    /** Our names in {@link LmConfig}'s messages, and the keys of {@code config.json} that set them. */
    private static final Map<String, String> KEYS = Map.ofEntries(
            Map.entry("vocabSize", "vocab_size"), Map.entry("hiddenSize", "hidden_size"),
            Map.entry("mlpHiddenSize", "intermediate_size"), Map.entry("numLayers", "num_hidden_layers"),
            Map.entry("numHeads", "num_attention_heads"), Map.entry("numKvHeads", "num_key_value_heads"),
            Map.entry("contextLength", "max_position_embeddings"), Map.entry("ropeBase", "rope_theta"),
            Map.entry("normEpsilon", "rms_norm_eps"), Map.entry("biasLength", "distance_bias_length"),
            Map.entry("tauInit", "tau_init"), Map.entry("biasInitStd", "bias_init_std"));

    /**
     * What a folder's {@code config.json} says.
     *
     * @param config the architecture
     * @param boundaryId the id of the text boundary token (our {@code <|endoftext|>})
     * @param tied {@code tie_word_embeddings}: the head is the embedding, and {@code lm_head.weight} may be absent
     * @param modelType {@code lazy_attention} or {@code llama}
     */
    public record Read(LmConfig config, int boundaryId, boolean tied, String modelType) {}

    private HfConfig() {}

    /** {@code config.json} of a model of {@code config} whose boundary token has id {@code boundaryId}. */
    public static String toJson(LmConfig config, int boundaryId, DataType dtype) {
        boolean llama = config.attention() == AttentionVariant.SOFTMAX;
        JsonObject o = new JsonObject();
        JsonArray architectures = new JsonArray();
        architectures.add(llama ? LLAMA_ARCHITECTURE : LAZY_ARCHITECTURE);
        o.add("architectures", architectures);
        o.addProperty("model_type", llama ? LLAMA_TYPE : LAZY_TYPE);
        o.addProperty("vocab_size", config.vocabSize());
        o.addProperty("hidden_size", config.hiddenSize());
        o.addProperty("intermediate_size", config.mlpHiddenSize());
        o.addProperty("num_hidden_layers", config.numLayers());
        o.addProperty("num_attention_heads", config.numHeads());
        o.addProperty("num_key_value_heads", config.numKvHeads());
        o.addProperty("head_dim", config.headDim());
        o.addProperty("max_position_embeddings", config.contextLength());
        o.addProperty("rope_theta", config.ropeBase());
        o.add("rope_scaling", JsonNull.INSTANCE);
        o.addProperty("rms_norm_eps", decimal(config.normEpsilon()));
        o.addProperty("hidden_act", "silu");
        o.addProperty("attention_bias", false);
        o.addProperty("mlp_bias", false);
        o.addProperty("tie_word_embeddings", false);
        o.addProperty("bos_token_id", boundaryId);
        o.addProperty("eos_token_id", boundaryId);
        o.addProperty("torch_dtype", torchDtype(dtype));
        if (!llama) {
            o.addProperty("attention_variant", config.attention().id());
            o.addProperty("distance_bias_length", config.biasLength());
            o.addProperty("tau_init", decimal(config.tauInit()));
            o.addProperty("bias_init_std", decimal(config.biasInitStd()));
        }
        o.addProperty("start_token", config.startToken());
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o) + "\n";
    }

    /** PyTorch's name of a dtype of ours: float32, float16 or bfloat16. */
    public static String torchDtype(DataType dtype) {
        switch (dtype) {
            case FLOAT32:
                return "float32";
            case FLOAT16:
                return "float16";
            case BFLOAT16:
                return "bfloat16";
            default:
                throw new IllegalArgumentException("dtype " + dtype + " is not one of float32, float16, bfloat16");
        }
    }

    /** The float as the short decimal Java prints for it (1.0E-5, not 9.99999974737875E-6). */
    private static double decimal(float value) {
        return Double.parseDouble(Float.toString(value));
    }

    /**
     * Reads {@code config.json}.
     *
     * @throws IllegalArgumentException naming the key and its value
     */
    public static Read read(String json) {
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException("expected a JSON object");
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("not valid JSON (" + e.getMessage() + ")", e);
        }
        String type = string(o, "model_type");
        if (!LAZY_TYPE.equals(type) && !LLAMA_TYPE.equals(type)) {
            throw new IllegalArgumentException("model_type " + show(o.get("model_type")) + " is not supported (this "
                    + "library reads " + LAZY_TYPE + " and " + LLAMA_TYPE + ")");
        }
        boolean llama = LLAMA_TYPE.equals(type);
        refuseUnless(o, "rope_scaling", null, "our RoPE has no scaling");
        refuseUnless(o, "sliding_window", null, "our attention sees the whole context");
        refuseUnless(o, "attention_bias", false, "our projections have no bias");
        refuseUnless(o, "mlp_bias", false, "our MLP has no bias");
        JsonElement act = o.has("hidden_act") ? o.get("hidden_act") : o.get("hidden_activation");
        if (act != null && !act.isJsonNull() && !"silu".equals(stringOf(act))) {
            throw new IllegalArgumentException("hidden_act " + show(act) + " is not supported (our MLP is SwiGLU with silu)");
        }
        int hidden = integer(o, "hidden_size", null);
        int heads = integer(o, "num_attention_heads", null);
        if (o.has("head_dim") && !o.get("head_dim").isJsonNull()) {
            int headDim = integer(o, "head_dim", null);
            if (heads <= 0 || headDim != hidden / heads || hidden % heads != 0) {
                throw new IllegalArgumentException("head_dim " + headDim + " is not hidden_size / num_attention_heads ("
                        + hidden + " / " + heads + "); our heads split hidden_size evenly");
            }
        }
        AttentionVariant variant;
        if (llama) {
            variant = AttentionVariant.SOFTMAX;
            if (o.has("attention_variant") && !"softmax".equals(stringOf(o.get("attention_variant")))) {
                throw new IllegalArgumentException("attention_variant " + show(o.get("attention_variant"))
                        + " contradicts model_type llama (standard softmax attention); use model_type " + LAZY_TYPE);
            }
        } else {
            try {
                variant = AttentionVariant.parse(string(o, "attention_variant"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("attention_variant " + show(o.get("attention_variant")) + ": "
                        + e.getMessage(), e);
            }
        }
        Integer bos = tokenId(o, "bos_token_id");
        Integer eos = tokenId(o, "eos_token_id");
        if (bos == null && eos == null) {
            throw new IllegalArgumentException("bos_token_id and eos_token_id are both missing: the text boundary "
                    + "token is unknown");
        }
        int boundary;
        boolean startDefault;
        if (llama) {
            boundary = bos != null ? bos : eos;
            startDefault = bos != null && !bos.equals(eos);
        } else {
            boundary = eos != null ? eos : bos;
            if (bos != null && eos != null && !bos.equals(eos)) {
                throw new IllegalArgumentException("bos_token_id " + bos + " differs from eos_token_id " + eos
                        + "; a " + LAZY_TYPE + " model has one boundary token for both");
            }
            startDefault = false;
        }
        boolean start = flag(o, "start_token", startDefault);
        boolean tied = flag(o, "tie_word_embeddings", false);
        int vocab = integer(o, "vocab_size", null);
        int layers = integer(o, "num_hidden_layers", null);
        int kvHeads = integer(o, "num_key_value_heads", heads);
        int mlp = integer(o, "intermediate_size", null);
        int context = integer(o, "max_position_embeddings", null);
        int biasLength = integer(o, "distance_bias_length", context);
        double ropeBase = number(o, "rope_theta", LmConfig.DEFAULT_ROPE_BASE);
        float tauInit = (float) number(o, "tau_init", (double) LmConfig.DEFAULT_TAU_INIT);
        float biasInitStd = (float) number(o, "bias_init_std", (double) LmConfig.DEFAULT_BIAS_INIT_STD);
        float normEpsilon = (float) number(o, "rms_norm_eps", 1e-6);
        LmConfig config;
        try {
            config = new LmConfig(vocab, layers, hidden, heads, kvHeads, mlp, context, variant, biasLength, ropeBase,
                    tauInit, biasInitStd, normEpsilon, start);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(inHfKeys(e.getMessage()), e);
        }
        return new Read(config, boundary, tied, type);
    }

    /** A message of {@link LmConfig} with our field names replaced by the keys of {@code config.json}. */
    private static String inHfKeys(String message) {
        String out = message;
        for (Map.Entry<String, String> e : KEYS.entrySet()) {
            out = out.replaceAll("\\b" + e.getKey() + "\\b", e.getValue());
        }
        return out;
    }

    private static void refuseUnless(JsonObject o, String key, Boolean allowed, String why) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return;
        }
        if (allowed != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()
                && e.getAsBoolean() == allowed) {
            return;
        }
        throw new IllegalArgumentException(key + " " + show(e) + " is not supported (" + why + ")");
    }

    /** A token id: an integer, or the first of a list (Llama 3's several end tokens), or null when absent. */
    private static Integer tokenId(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonArray() && e.getAsJsonArray().size() > 0) {
            e = e.getAsJsonArray().get(0);
        }
        return integerOf(e, key);
    }

    private static String string(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("missing key '" + key + "'");
        }
        String s = stringOf(e);
        if (s == null) {
            throw new IllegalArgumentException(key + " " + show(e) + " must be a string");
        }
        return s;
    }

    private static String stringOf(JsonElement e) {
        return e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : null;
    }

    private static boolean flag(JsonObject o, String key, boolean absent) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return absent;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new IllegalArgumentException(key + " " + show(e) + " must be true or false");
        }
        return e.getAsBoolean();
    }

    private static int integer(JsonObject o, String key, Integer absent) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            if (absent == null) {
                throw new IllegalArgumentException("missing key '" + key + "'");
            }
            return absent;
        }
        return integerOf(e, key);
    }

    private static int integerOf(JsonElement e, String key) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(key + " " + show(e) + " must be an integer");
        }
        try {
            return new java.math.BigDecimal(e.getAsString()).intValueExact();
        } catch (ArithmeticException | NumberFormatException x) {
            throw new IllegalArgumentException(key + " " + show(e) + " must be an integer of at most "
                    + Integer.MAX_VALUE, x);
        }
    }

    private static double number(JsonObject o, String key, Double absent) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            if (absent == null) {
                throw new IllegalArgumentException("missing key '" + key + "'");
            }
            return absent;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(key + " " + show(e) + " must be a number");
        }
        return e.getAsDouble();
    }

    private static String show(JsonElement e) {
        String s = e == null ? "(missing)" : e.toString();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    /** The supported dtypes by their names on the command line and in {@code torch_dtype}. */
    public static DataType parseDtype(String name) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (DataType t : List.of(DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16)) {
            if (torchDtype(t).equals(key)) {
                return t;
            }
        }
        throw new IllegalArgumentException("dtype '" + name + "' is not one of float32, float16, bfloat16");
    }
}

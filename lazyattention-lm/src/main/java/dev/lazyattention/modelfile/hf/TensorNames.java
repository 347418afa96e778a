package dev.lazyattention.modelfile.hf;

import dev.lazyattention.model.LmConfig;

import dev.lazyattention.model.LazyLmBlock;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The tensors of a model folder: each parameter of a {@code LazyLmBlock} under Llama's name and orientation
 * (docs/design.md §5). DJL's {@code Linear} keeps its weight as {@code [units, in]}, which is Llama's {@code
 * [out, in]}, and both RoPEs rotate the pairs {@code (k, k + D/2)}, so every tensor maps one to one, with no
 * transpose and no permutation of the query and key rows.
 */
public final class TensorNames {

    /**
     * One tensor.
     *
     * @param name its name in {@code model.safetensors}
     * @param parameter the DJL parameter's name in {@code LazyLmBlock#getParameters()}
     * @param shape what {@code config.json} implies
     * @param alwaysFloat32 {@code tau}, the distance bias and the sinks: float32 in every file, whatever its dtype
     */
    public record Entry(String name, String parameter, Shape shape, boolean alwaysFloat32) {}

    /** The ordinal DJL puts before each child block's name ({@code 01layer0_02attention_01query_weight}). */
    private static final Pattern CHILD_ORDINAL = Pattern.compile("(^|_)\\d+(?=[a-z])");

    private TensorNames() {}

    /**
     * The parameters of {@code block} by their names without DJL's child ordinals ({@code
     * layer0_attention_query_weight}), the names {@link Entry#parameter()} uses.
     */
    public static Map<String, Parameter> parameters(LazyLmBlock block) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            out.put(CHILD_ORDINAL.matcher(p.getKey()).replaceAll("$1"), p.getValue());
        }
        return out;
    }

    /** The tensors of a model of {@code config}, in the order the model holds them. */
    public static List<Entry> of(LmConfig config) {
        long c = config.hiddenSize();
        long h = config.numHeads();
        long q = h * config.headDim();
        long kv = (long) config.numKvHeads() * config.headDim();
        long m = config.mlpHiddenSize();
        long v = config.vocabSize();
        List<Entry> out = new ArrayList<>();
        out.add(new Entry("model.embed_tokens.weight", "embedding", new Shape(v, c), false));
        for (int n = 0; n < config.numLayers(); n++) {
            String hf = "model.layers." + n + ".";
            String djl = "layer" + n + "_";
            out.add(new Entry(hf + "input_layernorm.weight", djl + "attention_norm_gain", new Shape(c), false));
            out.add(new Entry(hf + "self_attn.q_proj.weight", djl + "attention_query_weight", new Shape(q, c), false));
            out.add(new Entry(hf + "self_attn.k_proj.weight", djl + "attention_key_weight", new Shape(kv, c), false));
            out.add(new Entry(hf + "self_attn.v_proj.weight", djl + "attention_value_weight", new Shape(kv, c), false));
            out.add(new Entry(hf + "self_attn.o_proj.weight", djl + "attention_output_weight", new Shape(c, q), false));
            if (config.attention().hasOutputGate()) {
                out.add(new Entry(hf + "self_attn.gate_proj.weight", djl + "attention_gate_weight", new Shape(h, c),
                        false));
            }
            if (config.attention().hasElasticSoftmax()) {
                out.add(new Entry(hf + "self_attn.tau", djl + "attention_tau", new Shape(h), true));
            }
            if (config.attention().hasDistanceBias()) {
                out.add(new Entry(hf + "self_attn.distance_bias", djl + "attention_distance_bias",
                        new Shape(h, config.biasLength()), true));
            }
            if (config.attention().hasLearnedSink()) {
                out.add(new Entry(hf + "self_attn.sinks", djl + "attention_sinks", new Shape(h), true));
            }
            out.add(new Entry(hf + "post_attention_layernorm.weight", djl + "mlp_norm_gain", new Shape(c), false));
            out.add(new Entry(hf + "mlp.gate_proj.weight", djl + "mlp_gate_weight", new Shape(m, c), false));
            out.add(new Entry(hf + "mlp.up_proj.weight", djl + "mlp_up_weight", new Shape(m, c), false));
            out.add(new Entry(hf + "mlp.down_proj.weight", djl + "mlp_down_weight", new Shape(c, m), false));
        }
        out.add(new Entry("model.norm.weight", "final_norm_gain", new Shape(c), false));
        out.add(new Entry("lm_head.weight", "head_weight", new Shape(v, c), false));
        return out;
    }
}

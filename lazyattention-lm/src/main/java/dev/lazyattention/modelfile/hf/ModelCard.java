package dev.lazyattention.modelfile.hf;

import dev.lazyattention.model.LmConfig;

import ai.djl.ndarray.types.DataType;

import java.util.Locale;
import java.util.Map;

/** The {@code README.md} of a model folder: Hugging Face's card metadata, then what the model itself records. */
final class ModelCard {

    private ModelCard() {}

    static String of(HfFolder.Parts lm, long parameterCount, DataType dtype, Map<String, String> records) {
        LmConfig c = lm.config();
        boolean llama = c.attention() == dev.lazyattention.attention.AttentionVariant.SOFTMAX;
        StringBuilder sb = new StringBuilder();
        sb.append("---\n");
        if (!lm.language().equals("und")) {
            sb.append("language: ").append(lm.language()).append('\n');
        }
        sb.append("library_name: lazy-attention\n");
        sb.append("pipeline_tag: text-generation\n");
        sb.append("tags:\n  - lazy-attention\n  - ").append(c.attention().id()).append('\n');
        sb.append("---\n\n");
        sb.append("# ").append(llama ? "Llama-architecture" : "Lazy Attention").append(" language model (")
                .append(c.attention().id()).append(")\n\n");
        sb.append("A causal language model exported from a `.lazylm.zip` of the Lazy Attention project: "
                + "`config.json` in Hugging Face's keys, `model.safetensors` with Llama's tensor names, "
                + "a byte-level BPE `tokenizer.json`.\n\n");
        sb.append("| setting | value |\n|---|---|\n");
        row(sb, "attention variant", c.attention().id());
        row(sb, "parameters", String.format(Locale.ROOT, "%,d", parameterCount));
        row(sb, "layers", c.numLayers());
        row(sb, "hidden size", c.hiddenSize());
        row(sb, "heads / key-value heads", c.numHeads() + " / " + c.numKvHeads());
        row(sb, "MLP size", c.mlpHiddenSize());
        row(sb, "context", c.contextLength());
        row(sb, "vocabulary", c.vocabSize());
        if (c.attention().hasDistanceBias()) {
            row(sb, "distance bias length", c.biasLength());
        }
        row(sb, "start token", c.startToken());
        row(sb, "tensor dtype", HfConfig.torchDtype(dtype) + (c.attention().hasElasticSoftmax()
                || c.attention().hasDistanceBias() ? " (tau and distance bias float32)"
                : c.attention().hasLearnedSink() ? " (sinks float32)" : ""));
        if (!records.isEmpty()) {
            sb.append("\n## Training record\n\n| record | value |\n|---|---|\n");
            records.forEach((k, v) -> row(sb, k, v));
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, Object value) {
        sb.append("| ").append(name).append(" | ").append(String.valueOf(value).replace("|", "\\|")).append(" |\n");
    }
}

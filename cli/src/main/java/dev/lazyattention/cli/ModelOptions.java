package dev.lazyattention.cli;

import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.model.LmConfig;
import picocli.CommandLine.Option;

/** Architecture options: a preset and overrides of its fields. */
final class ModelOptions {

    @Option(names = "--preset", paramLabel = "tiny|small|base", defaultValue = "small",
            description = "Model size preset (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--attention", paramLabel = "VARIANT", defaultValue = "lazy",
            description = "lazy, softmax, bias_only or elastic_only (default: ${DEFAULT-VALUE}).")
    String attention;

    @Option(names = "--layers", description = "Override the preset's number of layers.")
    Integer layers;

    @Option(names = "--hidden", description = "Override the preset's hidden size.")
    Integer hidden;

    @Option(names = "--heads", description = "Override the preset's number of heads.")
    Integer heads;

    @Option(names = "--kv-heads", description = "Key/value heads for grouped-query attention.")
    Integer kvHeads;

    @Option(names = "--context", description = "Override the preset's context length.")
    Integer context;

    @Option(names = "--bias-length", description = "Distances with a learned bias (default: the context length).")
    Integer biasLength;

    /** The preset with overrides, for a tokenizer of {@code vocabSize} tokens. */
    LmConfig config(int vocabSize) {
        LmConfig.Builder b = LmConfig.preset(preset).optAttention(AttentionVariant.parse(attention)).setVocabSize(vocabSize);
        if (layers != null) {
            b.optNumLayers(layers);
        }
        if (heads != null) {
            b.optNumHeads(heads);
        }
        if (hidden != null) {
            b.optHiddenSize(hidden).optMlpHiddenSize(-1);
        }
        if (kvHeads != null) {
            b.optNumKvHeads(kvHeads);
        }
        if (context != null) {
            b.optContextLength(context);
            if (biasLength == null) {
                b.optBiasLength(context);
            }
        }
        if (biasLength != null) {
            b.optBiasLength(biasLength);
        }
        return b.build();
    }

    /** The vocabulary size that goes with the preset. */
    int presetVocabSize() {
        return LmConfig.preset(preset).build().vocabSize();
    }
}

package dev.lazyattention.model;

import ai.djl.ndarray.NDArray;
import dev.lazyattention.attention.CachedKeyValues;

import java.util.List;

/**
 * What a {@link LazyLmBlock} forward pass returns.
 *
 * @param logits [B, T, V] next-token logits (float32)
 * @param hidden [B, T, C] the final normalised hidden states the logits are computed from
 * @param layerOutputs per layer, [B, T, C] the residual stream after it (arrays the pass keeps alive anyway)
 * @param present per layer, keys and values of every position so far (for a KV cache)
 * @param attentionWeights per layer, A [B, H, T, Tk] float32; empty unless the context asked for them
 */
public record LmOutput(NDArray logits, NDArray hidden, List<NDArray> layerOutputs, List<CachedKeyValues> present,
        List<NDArray> attentionWeights) {}

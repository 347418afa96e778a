package dev.lazyattention.attention;

import ai.djl.ndarray.NDArray;

/**
 * What one attention call returns.
 *
 * @param output [B, T, C] the layer output
 * @param present keys and values of all positions seen so far (cached ones first), for a KV cache
 * @param weights [B, H, T, Tk] float32 attention weights A, or null unless the context asked for them
 */
public record AttentionOutput(NDArray output, CachedKeyValues present, NDArray weights) {}

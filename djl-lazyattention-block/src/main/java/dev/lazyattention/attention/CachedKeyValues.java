package dev.lazyattention.attention;

import ai.djl.ndarray.NDArray;

/**
 * Keys (after RoPE) and values of earlier positions of one layer, as a KV cache keeps them.
 *
 * @param keys [B, G, P, D]
 * @param values [B, G, P, D]
 */
public record CachedKeyValues(NDArray keys, NDArray values) {

    /** Number of cached positions P. */
    public int length() {
        return Math.toIntExact(keys.getShape().get(2));
    }
}

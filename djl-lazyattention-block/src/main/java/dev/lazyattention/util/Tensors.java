package dev.lazyattention.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Tensors made from Java arrays whose memory the engine owns.
 *
 * <p>On the CPU, DJL's PyTorch engine wraps a Java direct buffer ({@code from_blob}) instead of copying, and
 * keeps the buffer alive only through the Java NDArray object. Views of such a tensor, and tensors that
 * autograd saves for the backward pass, point into the same buffer; once the NDArray is closed and the
 * buffer collected, they read freed memory (seen as sporadic NaN gradients under garbage-collection
 * pressure). A copy owned by the engine removes that lifetime coupling for a negligible cost: these are
 * masks, indices and position tables, small next to the activations.
 *
 * <p>The same holds for DJL's {@code NDArray} methods that take a {@link Number} ({@code x.mul(0.5)}): they
 * wrap the number in such a temporary tensor and close it at once, while autograd keeps it for the
 * backward pass of {@code mul}, {@code div} and {@code pow}. Code on a path that is differentiated
 * therefore multiplies by {@link #scalar} instead.
 */
public final class Tensors {

    private Tensors() {}

    /** A 0-dimensional float32 tensor owned by the engine. */
    public static NDArray scalar(NDManager manager, float value) {
        return of(manager, new float[] {value}, new Shape());
    }

    public static NDArray of(NDManager manager, float[] data, Shape shape) {
        try (NDArray wrapped = manager.create(data, shape)) {
            return wrapped.duplicate();
        }
    }

    public static NDArray of(NDManager manager, long[] data, Shape shape) {
        try (NDArray wrapped = manager.create(data, shape)) {
            return wrapped.duplicate();
        }
    }

    public static NDArray of(NDManager manager, int[] data, Shape shape) {
        try (NDArray wrapped = manager.create(data, shape)) {
            return wrapped.duplicate();
        }
    }
}

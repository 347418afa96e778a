package dev.lazyattention.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.lazyattention.util.Tensors;

/**
 * Rotary position embedding in the rotate-half layout: dimension {@code k} and {@code k + D/2} of a head
 * form one pair, rotated by the angle {@code pos * base^(-2k/D)}.
 *
 * <p>The angle tables are computed in double precision on the Java side (exact for any position a model
 * can see) and uploaded per call as float32; they do not depend on the layer, so one {@link
 * AttentionContext} computes them once for all layers of a forward pass.
 */
public final class Rope {

    private final int headDim;
    private final double base;
    private final double[] inverseFrequencies;

    public Rope(int headDim, double base) {
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("RoPE needs an even head dimension, got " + headDim);
        }
        if (!(base > 1.0) || Double.isInfinite(base)) {
            throw new IllegalArgumentException("RoPE base must be a finite number > 1, got " + base);
        }
        this.headDim = headDim;
        this.base = base;
        int half = headDim / 2;
        inverseFrequencies = new double[half];
        for (int k = 0; k < half; k++) {
            inverseFrequencies[k] = Math.pow(base, -2.0 * k / headDim);
        }
    }

    public int headDim() {
        return headDim;
    }

    /** Equal when the head dimension and base are: the tables are the same, so layers share them. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Rope r && r.headDim == headDim && Double.compare(r.base, base) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * headDim + Double.hashCode(base);
    }

    public double base() {
        return base;
    }

    /**
     * Cosine and sine tables for {@code length} positions starting at absolute position {@code offset}.
     *
     * @return {cos, sin}, each [length, D] float32 on the manager's device
     */
    public NDArray[] tables(NDManager manager, long offset, int length) {
        float[] cos = new float[length * headDim];
        float[] sin = new float[length * headDim];
        int half = headDim / 2;
        for (int t = 0; t < length; t++) {
            double pos = offset + t;
            for (int k = 0; k < half; k++) {
                double angle = pos * inverseFrequencies[k];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                int row = t * headDim;
                cos[row + k] = c;
                cos[row + k + half] = c;
                sin[row + k] = s;
                sin[row + k + half] = s;
            }
        }
        Shape shape = new Shape(length, headDim);
        return new NDArray[] {Tensors.of(manager, cos, shape), Tensors.of(manager, sin, shape)};
    }

    /**
     * Rotates {@code x} by the given tables.
     *
     * @param x [..., T, D] queries or keys, heads before positions
     * @param cos [T, D] from {@link #tables}
     * @param sin [T, D] from {@link #tables}
     * @return [..., T, D] in the dtype of {@code x}
     */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        long d = x.getShape().get(x.getShape().dimension() - 1);
        long half = d / 2;
        DataType type = x.getDataType();
        NDArray c = cos.toType(type, false); // [T, D]
        NDArray s = sin.toType(type, false); // [T, D]
        NDArray x1 = x.get(new NDIndex("..., :{}", half)); // [..., T, D/2]
        NDArray x2 = x.get(new NDIndex("..., {}:", half)); // [..., T, D/2]
        NDArray rotated = NDArrays.concat(new ai.djl.ndarray.NDList(x2.neg(), x1), -1); // [..., T, D]
        return x.mul(c).add(rotated.mul(s)); // [..., T, D]
    }
}

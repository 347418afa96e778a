package dev.lazyattention.attention;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.ParameterList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** Builds blocks holding a reference's parameters and converts between Java arrays and NDArrays. */
final class AttentionHarness implements AutoCloseable {

    final NDManager manager = NDManager.newBaseManager(Device.cpu());

    LazyAttentionBlock block(ReferenceAttention ref, AttentionVariant variant) {
        LazyAttentionBlock block = LazyAttentionBlock.builder()
                .setHiddenSize(ref.hidden)
                .setNumHeads(ref.heads)
                .optNumKvHeads(ref.kvHeads)
                .optHeadDim(ref.headDim)
                .optBiasLength(ref.biasLength)
                .optRopeBase(ref.ropeBase)
                .optVariant(variant)
                .build();
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 1, ref.hidden));
        load(block, ref);
        return block;
    }

    /** Copies the reference's parameters into the block (a reference without sinks leaves the block's). */
    static void load(LazyAttentionBlock block, ReferenceAttention ref) {
        copyInto(parameter(block, "query_weight"), flat(ref.wq));
        copyInto(parameter(block, "key_weight"), flat(ref.wk));
        copyInto(parameter(block, "value_weight"), flat(ref.wv));
        copyInto(parameter(block, "output_weight"), flat(ref.wo));
        if (block.tau() != null) {
            copyInto(block.tau().getArray(), toFloat(ref.tau));
        }
        if (block.distanceBias() != null) {
            copyInto(block.distanceBias().getArray(), flat(ref.bias));
        }
        if (block.gate() != null) {
            copyInto(parameter(block, "gate_weight"), flat(ref.wg));
        }
        if (block.sinks() != null && ref.sinks != null) {
            copyInto(block.sinks().getArray(), toFloat(ref.sinks));
        }
    }

    /**
     * Copies values into a long-lived tensor. {@code NDArray.set(float[])} would instead make the tensor
     * use a Java direct buffer, which the garbage collector may free while native code still uses it.
     * Values are rounded to the target's data type (float16 and bfloat16 blocks).
     */
    static void copyInto(NDArray target, float[] values) {
        try (NDArray source = target.getManager().create(values, target.getShape());
                NDArray typed = source.toType(target.getDataType(), true)) {
            target.set(new ai.djl.ndarray.index.NDIndex("..."), typed);
        }
    }

    /** A parameter array by name without DJL's child-number prefix ("01query_weight" is "query_weight"). */
    static NDArray parameter(ai.djl.nn.Block block, String name) {
        ParameterList all = block.getParameters();
        for (String key : all.keys()) {
            if (key.replaceFirst("^\\d+", "").equals(name)) {
                return all.get(key).getArray();
            }
        }
        throw new IllegalArgumentException("no parameter " + name + " in " + all.keys());
    }

    /** Runs the block as a plain DJL block (NDList in, NDList out). */
    NDList run(LazyAttentionBlock block, NDArray x, PairList<String, Object> params) {
        return block.forward(new ParameterStore(manager, false), new NDList(x), false, params);
    }

    NDArray array(double[][][] x) {
        int b = x.length;
        int t = x[0].length;
        int c = x[0][0].length;
        float[] flat = new float[b * t * c];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                for (int k = 0; k < c; k++) {
                    flat[(i * t + j) * c + k] = (float) x[i][j][k];
                }
            }
        }
        return manager.create(flat, new Shape(b, t, c));
    }

    static double[][][] random(java.util.Random random, int b, int t, int c) {
        double[][][] x = new double[b][t][c];
        for (double[][] m : x) {
            for (double[] row : m) {
                for (int k = 0; k < c; k++) {
                    row[k] = random.nextGaussian();
                }
            }
        }
        return x;
    }

    static double[] toDouble(NDArray array) {
        float[] f = array.toType(DataType.FLOAT32, false).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    static double[] flat(double[][][] x) {
        return java.util.Arrays.stream(x).flatMap(java.util.Arrays::stream)
                .flatMapToDouble(java.util.Arrays::stream).toArray();
    }

    static float[] flat(double[][] m) {
        return toFloat(java.util.Arrays.stream(m).flatMapToDouble(java.util.Arrays::stream).toArray());
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** max |a - b| / max |b|: the error relative to the scale of the reference. */
    static double relativeError(double[] actual, double[] reference) {
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < reference.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - reference[i]));
            maxRef = Math.max(maxRef, Math.abs(reference[i]));
        }
        return maxDiff / Math.max(maxRef, 1e-12);
    }

    @Override
    public void close() {
        manager.close();
    }
}

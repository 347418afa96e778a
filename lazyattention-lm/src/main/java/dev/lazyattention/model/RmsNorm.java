package dev.lazyattention.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.lazyattention.util.Tensors;

/**
 * Root-mean-square layer norm, {@code y = x / sqrt(mean(x^2) + eps) * g}, computed in float32. Written here
 * because DJL 0.36 has LayerNorm but no RMSNorm.
 */
public final class RmsNorm extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int size;
    private final float epsilon;
    private final Parameter gain;

    public RmsNorm(int size, float epsilon) {
        super(VERSION);
        this.size = size;
        this.epsilon = epsilon;
        gain = addParameter(Parameter.builder()
                .setName("gain")
                .setType(Parameter.Type.GAMMA)
                .optShape(new Shape(size))
                .optInitializer(Initializer.ONES)
                .build());
    }

    /** @param x [..., C] */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        NDArray g = ps.getValue(gain, x.getDevice(), training); // [C]
        NDArray x32 = x.toType(DataType.FLOAT32, false); // [..., C]
        NDArray eps = Tensors.scalar(x.getManager(), epsilon);
        NDArray rms = x32.square().mean(new int[] {-1}, true).add(eps).sqrt(); // [..., 1]
        return x32.div(rms).mul(g).toType(x.getDataType(), false); // [..., C]
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.head(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {}

    public int size() {
        return size;
    }
}

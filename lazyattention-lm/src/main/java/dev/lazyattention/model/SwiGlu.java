package dev.lazyattention.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

/** The gated MLP of Llama: {@code down(silu(gate(x)) * up(x))}, no biases. */
public final class SwiGlu extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int hiddenSize;
    private final int innerSize;
    private final Linear gate;
    private final Linear up;
    private final Linear down;

    public SwiGlu(int hiddenSize, int innerSize, float initStd) {
        super(VERSION);
        this.hiddenSize = hiddenSize;
        this.innerSize = innerSize;
        gate = addChildBlock("gate", linear(innerSize, initStd));
        up = addChildBlock("up", linear(innerSize, initStd));
        down = addChildBlock("down", linear(hiddenSize, initStd));
    }

    private static Linear linear(int units, float initStd) {
        Linear linear = Linear.builder().setUnits(units).optBias(false).build();
        linear.setInitializer(new NormalInitializer(initStd), Parameter.Type.WEIGHT);
        return linear;
    }

    /** @param x [B, T, C] */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        NDArray g = gate.forward(ps, new NDList(x), training).head(); // [B, T, F]
        NDArray u = up.forward(ps, new NDList(x), training).head(); // [B, T, F]
        NDArray h = g.mul(Activation.sigmoid(g)).mul(u); // [B, T, F], silu(g) * u
        return down.forward(ps, new NDList(h), training).head(); // [B, T, C]
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
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        gate.initialize(manager, dataType, x);
        up.initialize(manager, dataType, x);
        down.initialize(manager, dataType, x.slice(0, x.dimension() - 1).add(innerSize));
    }

    public int hiddenSize() {
        return hiddenSize;
    }
}

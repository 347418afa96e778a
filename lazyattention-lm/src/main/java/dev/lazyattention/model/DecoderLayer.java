package dev.lazyattention.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.attention.AttentionOutput;
import dev.lazyattention.attention.CachedKeyValues;
import dev.lazyattention.attention.LazyAttentionBlock;

/** One pre-norm decoder layer: {@code x + attn(norm(x))}, then {@code x + mlp(norm(x))}. */
public final class DecoderLayer extends AbstractBlock {

    private static final byte VERSION = 1;

    private final RmsNorm attentionNorm;
    private final LazyAttentionBlock attention;
    private final RmsNorm mlpNorm;
    private final SwiGlu mlp;

    public DecoderLayer(LmConfig config) {
        super(VERSION);
        attentionNorm = addChildBlock("attention_norm", new RmsNorm(config.hiddenSize(), config.normEpsilon()));
        attention = addChildBlock("attention", LazyAttentionBlock.builder()
                .setHiddenSize(config.hiddenSize())
                .setNumHeads(config.numHeads())
                .optNumKvHeads(config.numKvHeads())
                .optVariant(config.attention())
                .optBiasLength(config.biasLength())
                .optRopeBase(config.ropeBase())
                .optMaxPositions(config.contextLength())
                .optTauInit(config.tauInit())
                .optBiasInitStd(config.biasInitStd())
                .build());
        mlpNorm = addChildBlock("mlp_norm", new RmsNorm(config.hiddenSize(), config.normEpsilon()));
        mlp = addChildBlock("mlp", new SwiGlu(config.hiddenSize(), config.mlpHiddenSize(), 0.02f));
    }

    /**
     * @param x [B, T, C]
     * @param past this layer's cached keys and values, or null
     * @return the layer output [B, T, C] with the attention's keys, values and (if asked) weights
     */
    public AttentionOutput forward(
            ParameterStore ps, NDArray x, CachedKeyValues past, AttentionContext context, boolean training) {
        AttentionOutput a = attention.forward(ps, attentionNorm.forward(ps, x, training), past, context, training);
        NDArray h = x.add(a.output()); // [B, T, C]
        NDArray y = h.add(mlp.forward(ps, mlpNorm.forward(ps, h, training), training)); // [B, T, C]
        return new AttentionOutput(y, a.present(), a.weights());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        AttentionContext context = AttentionContext.builder(x.getManager(), x.getShape().get(0),
                Math.toIntExact(x.getShape().get(1))).build();
        return new NDList(forward(ps, x, null, context, training).output());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (var child : getChildren().values()) {
            child.initialize(manager, dataType, inputShapes[0]);
        }
    }

    public LazyAttentionBlock attention() {
        return attention;
    }
}

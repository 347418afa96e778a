package dev.lazyattention.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.attention.AttentionOutput;
import dev.lazyattention.attention.CachedKeyValues;

import java.util.ArrayList;
import java.util.List;

/**
 * A Llama-style decoder-only language model whose attention is Lazy Attention: token embedding, N decoder
 * layers, a final RMSNorm and an untied LM head.
 *
 * <h2>Use as a DJL block</h2>
 *
 * <ul>
 *   <li>{@code [ids]} ({@code [B, T]} int64) returns {@code [logits]} ({@code [B, T, V]}); this is what
 *       DJL's {@code Trainer} calls.
 *   <li>{@code [ids, positionIds, attentionMask, k0, v0, k1, v1, ...]}, the input layout of DJL's {@code
 *       TextGenerator}, returns {@code [logits, hidden, k0, v0, ...]} with the keys and values of all
 *       positions, ready for the next step. All rows must share their positions (one prompt length per
 *       batch, which holds for greedy, beam and contrastive search from one prompt).
 * </ul>
 */
public final class LazyLmBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final LmConfig config;
    private final Parameter embedding;
    private final List<DecoderLayer> layers = new ArrayList<>();
    private final RmsNorm finalNorm;
    private final Linear head;

    public LazyLmBlock(LmConfig config) {
        super(VERSION);
        this.config = config;
        embedding = addParameter(Parameter.builder()
                .setName("embedding")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(config.vocabSize(), config.hiddenSize()))
                .optInitializer(new NormalInitializer(0.02f))
                .build());
        for (int i = 0; i < config.numLayers(); i++) {
            layers.add(addChildBlock("layer" + i, new DecoderLayer(config)));
        }
        finalNorm = addChildBlock("final_norm", new RmsNorm(config.hiddenSize(), config.normEpsilon()));
        head = addChildBlock("head", Linear.builder().setUnits(config.vocabSize()).optBias(false).build());
        head.setInitializer(new NormalInitializer(0.02f), Parameter.Type.WEIGHT);
    }

    public LmConfig config() {
        return config;
    }

    public List<DecoderLayer> layers() {
        return layers;
    }

    /**
     * One forward pass.
     *
     * @param ids [B, T] int64 token ids
     * @param past per layer, cached keys and values of {@code context.pastLength()} earlier positions; null
     *     for none
     * @param context positions, padding and whether to return attention weights
     */
    public LmOutput forward(
            ParameterStore ps, NDArray ids, List<CachedKeyValues> past, AttentionContext context, boolean training) {
        Shape shape = ids.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("LazyLmBlock input must be token ids [batch, time], got " + shape);
        }
        if (past != null && past.size() != layers.size()) {
            throw new IllegalArgumentException(
                    "KV cache has " + past.size() + " layers, the model has " + layers.size());
        }
        NDArray table = ps.getValue(embedding, ids.getDevice(), training); // [V, C]
        NDArray x = Embedding.embedding(ids, table, SparseFormat.DENSE).head(); // [B, T, C]
        List<CachedKeyValues> present = new ArrayList<>(layers.size());
        List<NDArray> weights = new ArrayList<>();
        List<NDArray> layerOutputs = new ArrayList<>(layers.size());
        NDManager batch = context.manager();
        for (int i = 0; i < layers.size(); i++) {
            // One scope per layer frees its intermediate tensors as soon as the layer is done (autograd keeps
            // what the backward pass needs on its own), so memory holds one layer's activations, not all.
            try (NDManager scope = batch.newSubManager()) {
                scope.tempAttachAll(x);
                AttentionOutput out = layers.get(i).forward(ps, x, past == null ? null : past.get(i), context, training);
                x = keep(out.output(), batch); // [B, T, C]
                layerOutputs.add(x);
                present.add(new CachedKeyValues(keep(out.present().keys(), batch), keep(out.present().values(), batch)));
                if (out.weights() != null) {
                    weights.add(keep(out.weights(), batch));
                }
            }
        }
        NDArray hidden = finalNorm.forward(ps, x, training); // [B, T, C]
        NDArray logits = head.forward(ps, new NDList(hidden), training).head(); // [B, T, V]
        return new LmOutput(logits.toType(DataType.FLOAT32, false), hidden, layerOutputs, present, weights);
    }

    /** Moves a layer's result out of the layer's scope (arrays of other managers, like a cache, stay). */
    private static NDArray keep(NDArray array, NDManager batch) {
        if (array.getManager() != batch && !isCache(array, batch)) {
            array.attach(batch);
        }
        return array;
    }

    /** Whether the array belongs to a manager outside this batch (a generation's KV cache). */
    private static boolean isCache(NDArray array, NDManager batch) {
        for (NDManager m = array.getManager(); m != null; m = m.getParentManager()) {
            if (m == batch) {
                return false;
            }
        }
        return true;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.head();
        if (inputs.size() == 1) {
            AttentionContext context = AttentionContext.builder(ids.getManager(), ids.getShape().get(0),
                    Math.toIntExact(ids.getShape().get(1))).build();
            return new NDList(forward(ps, ids, null, context, training).logits());
        }
        return forwardForTextGenerator(ps, inputs, training);
    }

    /** DJL TextGenerator layout: [ids, positionIds, attentionMask, k0, v0, ...]. */
    private NDList forwardForTextGenerator(ParameterStore ps, NDList inputs, boolean training) {
        if (inputs.size() < 3 || (inputs.size() - 3) % 2 != 0
                || (inputs.size() > 3 && (inputs.size() - 3) / 2 != layers.size())) {
            throw new IllegalArgumentException(
                    "expected [ids, positionIds, attentionMask] followed by keys and values of " + layers.size()
                            + " layers, got " + inputs.size() + " arrays");
        }
        NDArray ids = inputs.get(0); // [B, T]
        long[] positions = inputs.get(1).toLongArray(); // [B, T]
        NDArray attentionMask = inputs.get(2); // [B, P + T]
        long batch = ids.getShape().get(0);
        int time = Math.toIntExact(ids.getShape().get(1));
        for (int row = 1; row < batch; row++) {
            if (positions[row * time] != positions[0]) {
                throw new IllegalArgumentException(
                        "LazyLmBlock needs the same positions in every row (one prompt length per batch); row " + row
                                + " starts at " + positions[row * time] + ", row 0 at " + positions[0]);
            }
        }
        List<CachedKeyValues> past = null;
        int pastLength = 0;
        if (inputs.size() > 3) {
            past = new ArrayList<>(layers.size());
            for (int i = 0; i < layers.size(); i++) {
                past.add(new CachedKeyValues(inputs.get(3 + 2 * i), inputs.get(4 + 2 * i)));
            }
            pastLength = past.get(0).length();
        }
        AttentionContext context = AttentionContext.builder(ids.getManager(), batch, time)
                .optPastLength(pastLength)
                .optPositionOffset(positions[0])
                .optKeyPaddingMask(attentionMask.toType(DataType.BOOLEAN, false))
                .build();
        LmOutput out = forward(ps, ids, past, context, training);
        NDList result = new NDList(out.logits(), out.hidden());
        for (CachedKeyValues kv : out.present()) {
            result.add(kv.keys());
            result.add(kv.values());
        }
        return result;
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        return new Shape[] {new Shape(ids.get(0), ids.get(1), config.vocabSize())};
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = inputShapes[0];
        Shape hidden = new Shape(ids.get(0), ids.get(1), config.hiddenSize());
        for (DecoderLayer layer : layers) {
            layer.initialize(manager, dataType, hidden);
        }
        finalNorm.initialize(manager, dataType, hidden);
        head.initialize(manager, dataType, hidden);
    }

    /** {@inheritDoc} The one input is the token ids (also after loading, when DJL knows only shapes). */
    @Override
    public PairList<String, Shape> describeInput() {
        if (inputShapes == null) {
            throw new IllegalStateException("LazyLmBlock is neither initialised nor loaded");
        }
        return new PairList<>(List.of("ids"), List.of(inputShapes[0]));
    }

    /** Number of learnable parameters (initialised model). */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : getParameters().values()) {
            n += p.getArray().getShape().size();
        }
        return n;
    }
}

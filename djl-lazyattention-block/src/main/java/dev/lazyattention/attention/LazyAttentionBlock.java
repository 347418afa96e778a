package dev.lazyattention.attention;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import dev.lazyattention.util.Tensors;
import dev.lazyattention.util.Views;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Causal self-attention with Lazy Attention (arXiv 2601.00919): RoPE, a learnable per-head bias for every
 * query-key distance, and Elastic-Softmax {@code ReLU(softmax + tau_h / i)}. The {@link AttentionVariant}
 * switches either part off; {@link AttentionVariant#SOFTMAX} is standard RoPE attention. Three more baselines
 * replace both parts: {@link AttentionVariant#OFF_BY_ONE} normalises with {@code exp(S) / (1 + sum exp(S))},
 * {@link AttentionVariant#LEARNED_SINK} with {@code exp(S) / (exp(s_h) + sum exp(S))} and a learned sink logit
 * {@code s_h} per head (parameter {@code sinks}, initially 0), and {@link AttentionVariant#GATED} multiplies
 * each head's softmax output by {@code sigmoid(x Wg)[h]}, with one more projection {@code Wg [C -> H]} (child
 * block {@code gate}) before {@code Wo}.
 *
 * <pre>
 * q, k, v = x Wq, x Wk, x Wv            (no bias; k, v have G heads, G divides H)
 * q, k    = RoPE(q), RoPE(k)             (absolute positions)
 * S       = q k^T / sqrt(D) + b[h, i-j]  (b is 0 for i-j >= Lb; S = -inf for j > i)
 * A       = ReLU(softmax(S) + tau_h / i) (float32; masked again after the ReLU)
 * y       = (A v merged over heads) Wo   (no renormalisation)
 * </pre>
 *
 * <h2>Use as a DJL block</h2>
 *
 * {@code forward(ps, new NDList(x), training)} with {@code x [B, T, C]} returns {@code [y]}. Optional
 * inputs, found by name in the input list: {@value #PAST_KEYS} and {@value #PAST_VALUES} ({@code [B, G, P,
 * D]}, a KV cache) and {@value #KEY_PADDING_MASK} ({@code [B, P + T]}, true for real tokens). Optional
 * parameters: {@value #POSITION_OFFSET} (absolute position of the first token, default P), {@value
 * #RETURN_WEIGHTS} and {@value #RETURN_KEY_VALUES} (booleans). When keys and values are returned the
 * output is {@code [y, keys, values]}; the attention weights {@code [B, H, T, P + T]} come last (for
 * {@link AttentionVariant#GATED}, the softmax weights before the gate).
 *
 * <p>With a key padding mask, {@code i} in {@code tau / i} counts the real tokens of each row up to the
 * query, so a left-padded row gives the outputs of the same row alone (RoPE and the distance bias depend
 * only on distances, which leading pads do not change). {@code tau}, the distance bias and the sinks are
 * float32 in a block of any data type, and the Elastic-Softmax decision is made in float32.
 *
 * <p>Models with several layers call {@link #forward(ParameterStore, NDArray, CachedKeyValues,
 * AttentionContext, boolean)} with one shared {@link AttentionContext}.
 */
public final class LazyAttentionBlock extends AbstractBlock {

    /** Name of the optional cached keys in the input list. */
    public static final String PAST_KEYS = "past_keys";
    /** Name of the optional cached values in the input list. */
    public static final String PAST_VALUES = "past_values";
    /** Name of the optional key padding mask in the input list. */
    public static final String KEY_PADDING_MASK = "key_padding_mask";
    /** Parameter: absolute position of the first input token (a Number). */
    public static final String POSITION_OFFSET = "position_offset";
    /** Parameter: append the attention weights to the output (a Boolean). */
    public static final String RETURN_WEIGHTS = "return_weights";
    /** Parameter: append keys and values of all positions to the output (a Boolean). */
    public static final String RETURN_KEY_VALUES = "return_key_values";

    /**
     * Largest score tensor {@code [B, H, Tq, Tk]} float32, in bytes, computed at once outside training (512
     * MiB); longer inputs are attended in blocks of queries. The peak is a few such tensors (scores, bias,
     * weights).
     */
    public static final long SCORE_BYTES = 512L << 20;

    /** Default of {@link Builder#optMaxPositions}: the largest absolute position + 1 a block accepts. */
    public static final int DEFAULT_MAX_POSITIONS = 8192;

    /** Version 1: the configuration below, then the input shapes. */
    private static final byte VERSION = 1;

    private final int hiddenSize;
    private final int numHeads;
    private final int numKvHeads;
    private final int headDim;
    private final AttentionVariant variant;
    private final int biasLength;
    private final int maxPositions;
    private final float tauInit;
    private final float biasInitStd;
    private final Rope rope;
    private final ScoreNormalizer normalizer;

    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear output;
    /** Wg [C -> H] of {@link AttentionVariant#GATED}, else null. */
    private final Linear gate;
    private final Parameter tau;
    private final Parameter distanceBias;
    /** The sink logits s [H] of {@link AttentionVariant#LEARNED_SINK}, else null. */
    private final Parameter sinks;

    private LazyAttentionBlock(Builder b) {
        super(VERSION);
        hiddenSize = b.hiddenSize;
        numHeads = b.numHeads;
        numKvHeads = b.numKvHeads;
        headDim = b.headDim;
        variant = b.variant;
        biasLength = b.biasLength;
        maxPositions = b.maxPositions;
        tauInit = b.tauInit;
        biasInitStd = b.biasInitStd;
        rope = new Rope(headDim, b.ropeBase);
        normalizer = normalizerOf(variant);

        query = addChildBlock("query", projection((long) numHeads * headDim, b.weightInitStd));
        key = addChildBlock("key", projection((long) numKvHeads * headDim, b.weightInitStd));
        value = addChildBlock("value", projection((long) numKvHeads * headDim, b.weightInitStd));
        output = addChildBlock("output", projection(hiddenSize, b.weightInitStd));
        // Added after the four projections, so that the other variants keep their parameters and order.
        gate = variant.hasOutputGate() ? addChildBlock("gate", projection(numHeads, b.weightInitStd)) : null;
        tau = variant.hasElasticSoftmax()
                ? addParameter(Parameter.builder()
                        .setName("tau")
                        .setType(Parameter.Type.OTHER)
                        .optShape(new Shape(numHeads))
                        .optInitializer(new ConstantInitializer(tauInit))
                        .build())
                : null;
        distanceBias = variant.hasDistanceBias()
                ? addParameter(Parameter.builder()
                        .setName("distance_bias")
                        .setType(Parameter.Type.OTHER)
                        .optShape(new Shape(numHeads, biasLength))
                        .optInitializer(new NormalInitializer(biasInitStd))
                        .build())
                : null;
        sinks = variant.hasLearnedSink()
                ? addParameter(Parameter.builder()
                        .setName("sinks")
                        .setType(Parameter.Type.OTHER)
                        .optShape(new Shape(numHeads))
                        .optInitializer(new ConstantInitializer(0f))
                        .build())
                : null;
    }

    private static ScoreNormalizer normalizerOf(AttentionVariant variant) {
        if (variant.hasElasticSoftmax()) {
            return ScoreNormalizer.ELASTIC;
        }
        if (variant.hasLearnedSink()) {
            return ScoreNormalizer.LEARNED_SINK;
        }
        return variant.hasOffByOneSoftmax() ? ScoreNormalizer.OFF_BY_ONE : ScoreNormalizer.SOFTMAX;
    }

    private static Linear projection(long units, float initStd) {
        Linear linear = Linear.builder().setUnits(units).optBias(false).build();
        linear.setInitializer(new NormalInitializer(initStd), Parameter.Type.WEIGHT);
        return linear;
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- forward

    /**
     * One attention call.
     *
     * @param x [B, T, C] input
     * @param past keys and values of the {@code context.pastLength()} earlier positions, or null
     * @param context positions, padding and options shared by all layers of the pass
     */
    public AttentionOutput forward(
            ParameterStore ps, NDArray x, CachedKeyValues past, AttentionContext context, boolean training) {
        checkInput(x.getShape(), past, context);
        NDManager manager = context.manager();
        long b = x.getShape().get(0);
        int t = context.queryLength();

        NDArray[] qkv = rotatedHeads(ps, x, context, training); // q [B, H, T, D] scaled, k and v [B, G, T, D]
        NDArray q = qkv[0];
        NDArray k = qkv[1];
        NDArray v = qkv[2];
        if (past != null) {
            k = NDArrays.concat(new NDList(past.keys(), k), 2); // [B, G, Tk, D]
            v = NDArrays.concat(new NDList(past.values(), v), 2); // [B, G, Tk, D]
        }
        // The normaliser's own per-head parameter: tau of Elastic-Softmax or the sink logits.
        Parameter perHead = tau != null ? tau : sinks;
        NDArray headValue = perHead == null ? null
                : Views.of(ps.getValue(perHead, x.getDevice(), training), manager); // [H] float32
        NDArray biasValue = distanceBias == null ? null
                : Views.of(ps.getValue(distanceBias, x.getDevice(), training), manager)
                        .toType(DataType.FLOAT32, false); // [H, Lb]

        int chunk = context.queryChunk();
        if (chunk <= 0 && !training) {
            chunk = automaticQueryChunk(b, t, context.keyLength());
        }
        NDArray[] attended = chunk <= 0 || t <= chunk
                ? attend(q, k, v, context, headValue, biasValue, x.getDataType())
                : attendInChunks(q, k, v, context, headValue, biasValue, x.getDataType(), chunk);
        NDArray heads = attended[0]; // [B, H, T, D]
        if (gate != null) {
            heads = heads.mul(headGates(ps, x, training)); // [B, H, T, D]
        }
        NDArray o = heads.transpose(0, 2, 1, 3).reshape(b, t, (long) numHeads * headDim); // [B, T, H*D]
        NDArray y = output.forward(ps, new NDList(o), training).head(); // [B, T, C]
        return new AttentionOutput(y, new CachedKeyValues(k, v), attended[1]);
    }

    /**
     * The output gates of {@link AttentionVariant#GATED}, {@code sigmoid(x Wg)}: one per head and query, from
     * the query's own input, so cached keys and query chunks do not change them.
     *
     * @return [B, H, T, 1] in the data type of x
     */
    private NDArray headGates(ParameterStore ps, NDArray x, boolean training) {
        NDArray logits = gate.forward(ps, new NDList(x), training).head(); // [B, T, H]
        return Activation.sigmoid(logits).transpose(0, 2, 1).expandDims(3); // [B, H, T, 1]
    }

    /**
     * Projections split into heads, with rotary positions; the query is scaled by 1/sqrt(D) here, once.
     *
     * @return {q [B, H, T, D], k [B, G, T, D], v [B, G, T, D]}
     */
    private NDArray[] rotatedHeads(ParameterStore ps, NDArray x, AttentionContext context, boolean training) {
        long b = x.getShape().get(0);
        int t = context.queryLength();
        NDArray q = query.forward(ps, new NDList(x), training).head(); // [B, T, H*D]
        NDArray k = key.forward(ps, new NDList(x), training).head(); // [B, T, G*D]
        NDArray v = value.forward(ps, new NDList(x), training).head(); // [B, T, G*D]
        q = q.reshape(b, t, numHeads, headDim).transpose(0, 2, 1, 3); // [B, H, T, D]
        k = k.reshape(b, t, numKvHeads, headDim).transpose(0, 2, 1, 3); // [B, G, T, D]
        v = v.reshape(b, t, numKvHeads, headDim).transpose(0, 2, 1, 3); // [B, G, T, D]

        NDArray[] cosSin = context.ropeTables(rope); // 2 x [T, D]
        NDArray scale = Tensors.scalar(context.manager(), (float) (1.0 / Math.sqrt(headDim)))
                .toType(q.getDataType(), false);
        q = Rope.apply(q, cosSin[0], cosSin[1]).mul(scale); // [B, H, T, D]
        k = Rope.apply(k, cosSin[0], cosSin[1]); // [B, G, T, D]
        return new NDArray[] {q, k, v};
    }

    /**
     * {@link #attend} over blocks of {@code chunk} queries: the same result, with one block's scores in
     * memory at a time.
     *
     * @return {output [B, H, T, D], weights [B, H, T, Tk] float32 or null}
     */
    private NDArray[] attendInChunks(NDArray q, NDArray k, NDArray v, AttentionContext context, NDArray headValue,
            NDArray biasValue, DataType type, int chunk) {
        NDManager manager = context.manager();
        long b = q.getShape().get(0);
        int t = context.queryLength();
        int tk = context.keyLength();
        int cached = context.pastLength();
        NDList outputs = new NDList();
        NDList chunkWeights = new NDList();
        for (int from = 0; from < t; from += chunk) {
            int to = Math.min(t, from + chunk);
            // A scope per chunk frees its scores at once: memory holds one chunk's, not all of them.
            try (NDManager scope = manager.newSubManager()) {
                scope.tempAttachAll(Stream.of(q, k, v, headValue, biasValue)
                        .filter(Objects::nonNull).toArray(NDArray[]::new));
                AttentionContext sub = context.queries(from, to, scope);
                NDArray[] attended = attend(
                        q.get(new NDIndex(":, :, {}:{}", from, to)), // [B, H, Q, D]
                        k.get(new NDIndex(":, :, :{}", cached + to)), // [B, G, cached+to, D]
                        v.get(new NDIndex(":, :, :{}", cached + to)), // [B, G, cached+to, D]
                        sub, headValue, biasValue, type);
                attended[0].attach(manager);
                outputs.add(attended[0]); // [B, H, Q, D]
                if (attended[1] != null) {
                    // Later keys are future keys of this chunk: weight 0.
                    NDArray padded = attended[1].concat(scope.zeros(
                            new Shape(b, numHeads, to - from, tk - cached - to), DataType.FLOAT32, q.getDevice()), 3);
                    padded.attach(manager); // [B, H, Q, Tk]
                    chunkWeights.add(padded);
                }
            }
        }
        NDArray o = NDArrays.concat(outputs, 2); // [B, H, T, D]
        NDArray weights = chunkWeights.isEmpty() ? null : NDArrays.concat(chunkWeights, 2); // [B, H, T, Tk]
        return new NDArray[] {o, weights};
    }

    /**
     * Queries per block when the caller asked for all at once: 0 (all at once) while one score tensor {@code
     * [B, H, T, Tk]} float32 fits {@link #SCORE_BYTES}, else the most queries whose scores do. Chunking gives
     * the same results (see {@link AttentionContext.Builder#optQueryChunk}); it bounds the memory of a long
     * window, which all at once grows with the square of its length (12 GiB for 8 sequences of 8192 tokens
     * and 12 heads). Only outside training: under autograd every chunk is kept for the backward pass anyway.
     */
    static int automaticQueryChunk(long batch, int heads, int queries, int keys) {
        long perQuery = batch * heads * keys * Float.BYTES;
        if (perQuery * queries <= SCORE_BYTES) {
            return 0;
        }
        return (int) Math.max(1, SCORE_BYTES / perQuery);
    }

    private int automaticQueryChunk(long batch, int queries, int keys) {
        return automaticQueryChunk(batch, numHeads, queries, keys);
    }

    /**
     * Scores, mask, bias, normalisation and weighted values for the queries of {@code context}.
     *
     * @param q [B, H, Tq, D] scaled, rotated queries
     * @param k [B, G, Tk, D] rotated keys
     * @param v [B, G, Tk, D] values
     * @return {output [B, H, Tq, D], weights [B, H, Tq, Tk] float32 or null}
     */
    private NDArray[] attend(NDArray q, NDArray k, NDArray v, AttentionContext context, NDArray headValue,
            NDArray biasValue, DataType type) {
        long b = q.getShape().get(0);
        int t = context.queryLength();
        int tk = context.keyLength();
        NDArray scores = headScores(q, k, b, t, tk) // [B, H, Tq, Tk]
                .toType(DataType.FLOAT32, false)
                .add(scoreBias(biasValue, context)); // [B, H, Tq, Tk]
        if (context.keyPaddingMask() != null) {
            scores = scores.add(context.paddingMask()); // [B, H, Tq, Tk]
        }
        NDArray weights = normalizer.normalize(scores, headValue, context); // [B, H, Tq, Tk] float32
        NDArray o = weightedValues(weights.toType(type, false), v, b, t, tk); // [B, H, Tq, D]
        return new NDArray[] {o, context.returnWeights() ? weights : null};
    }

    /** q k^T per head; with GQA each key head serves H/G query heads without copying keys. */
    private NDArray headScores(NDArray q, NDArray k, long b, int t, int tk) {
        if (numKvHeads == numHeads) {
            return q.matMul(k.transpose(0, 1, 3, 2)); // [B, H, T, Tk]
        }
        int group = numHeads / numKvHeads;
        NDArray qg = q.reshape(b, numKvHeads, group, t, headDim); // [B, G, H/G, T, D]
        NDArray kt = k.expandDims(2).transpose(0, 1, 2, 4, 3); // [B, G, 1, D, Tk]
        return qg.matMul(kt).reshape(b, numHeads, t, tk); // [B, H, T, Tk]
    }

    /** A v per head, merged back to H heads. */
    private NDArray weightedValues(NDArray weights, NDArray v, long b, int t, int tk) {
        if (numKvHeads == numHeads) {
            return weights.matMul(v); // [B, H, T, D]
        }
        int group = numHeads / numKvHeads;
        NDArray wg = weights.reshape(b, numKvHeads, group, t, tk); // [B, G, H/G, T, Tk]
        return wg.matMul(v.expandDims(2)).reshape(b, numHeads, t, headDim); // [B, H, T, D]
    }

    /**
     * The causal mask, plus the distance bias b[h, i - j] for variants that learn one, built as a Toeplitz
     * matrix: entry [t, j] depends only on j - t, so every row is a window of one vector w [H, Tq + Tk - 1]
     * that holds, in order, 0 for distances at or beyond Lb, the bias from the largest distance down to 0, and
     * {@link AttentionContext#MASKED} for the future keys. Repeating w Tq times and reading the repeats with a
     * row length one shorter than w shifts each row by one: rows of the bias without a gather, whose backward
     * pass is then a sum over the repeats instead of a scatter-add, and with the causal mask already in place.
     */
    private NDArray scoreBias(NDArray bias, AttentionContext context) {
        if (bias == null) {
            return context.causalMask(); // [T, Tk]
        }
        int t = context.queryLength();
        int tk = context.keyLength();
        long width = (long) t + tk - 1;
        // Distance of w's element u: pastLength + t - 1 - u, from pastLength + t - 1 down to 1 - t.
        int near = Math.min(biasLength, context.pastLength() + t); // distances 0 .. near-1 carry a bias
        NDArray[] pads = context.toeplitzPads(numHeads, biasLength); // {[H, far] zeros, [H, t-1] MASKED}
        NDArray nearest = bias.get(new NDIndex(":, :{}", near)).flip(1); // [H, near], largest distance first
        NDArray w = NDArrays.concat(new NDList(pads[0], nearest, pads[1]), 1); // [H, Tq + Tk - 1]
        if (t == 1) {
            return w.reshape(numHeads, 1, tk); // [H, 1, Tk]
        }
        // Row t of the repeats read with rows of width - 1 starts at w[t - 1 - row]: the row's own window.
        return w.tile(new long[] {1, t}) // [H, Tq * width]
                .get(new NDIndex(":, {}:{}", t - 1, t - 1 + (long) t * (width - 1))) // [H, Tq * (width - 1)]
                .reshape(numHeads, t, width - 1) // [H, Tq, width - 1]
                .get(new NDIndex(":, :, :{}", tk)); // [H, Tq, Tk]
    }

    private void checkInput(Shape x, CachedKeyValues past, AttentionContext context) {
        if (x.dimension() != 3 || x.get(2) != hiddenSize) {
            throw new IllegalArgumentException(
                    "LazyAttentionBlock input must be [batch, time, " + hiddenSize + "], got " + x);
        }
        if (x.get(0) != context.batchSize() || x.get(1) != context.queryLength()) {
            throw new IllegalArgumentException(
                    "input " + x + " does not match the attention context (batch " + context.batchSize()
                            + ", length " + context.queryLength() + ")");
        }
        int pastLength = past == null ? 0 : past.length();
        if (pastLength != context.pastLength()) {
            throw new IllegalArgumentException(
                    pastLength + " cached positions given but the context expects " + context.pastLength());
        }
        if (past != null) {
            Shape expected = new Shape(x.get(0), numKvHeads, pastLength, headDim);
            if (!past.keys().getShape().equals(expected) || !past.values().getShape().equals(expected)) {
                throw new IllegalArgumentException(
                        "cached keys " + past.keys().getShape() + " and values " + past.values().getShape()
                                + " must both be " + expected);
            }
        }
        long end = context.positionOffset() + context.queryLength();
        if (end > maxPositions) {
            throw new IllegalArgumentException(
                    "positions up to " + end + " exceed the configured maximum of " + maxPositions
                            + " (maxPositions)");
        }
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray pastKeys = inputs.get(PAST_KEYS);
        NDArray pastValues = inputs.get(PAST_VALUES);
        if ((pastKeys == null) != (pastValues == null)) {
            throw new IllegalArgumentException(PAST_KEYS + " and " + PAST_VALUES + " must be given together");
        }
        CachedKeyValues past = pastKeys == null ? null : new CachedKeyValues(pastKeys, pastValues);
        Shape shape = x.getShape();
        if (shape.dimension() != 3) {
            throw new IllegalArgumentException(
                    "LazyAttentionBlock input must be [batch, time, " + hiddenSize + "], got " + shape);
        }
        AttentionContext.Builder context = AttentionContext.builder(x.getManager(), shape.get(0),
                        Math.toIntExact(shape.get(1)))
                .optPastLength(past == null ? 0 : past.length())
                .optKeyPaddingMask(inputs.get(KEY_PADDING_MASK))
                .optReturnWeights(flag(params, RETURN_WEIGHTS));
        Object offset = params == null ? null : params.get(POSITION_OFFSET);
        if (offset != null) {
            context.optPositionOffset(((Number) offset).longValue());
        }
        AttentionOutput out = forward(ps, x, past, context.build(), training);
        NDList result = new NDList(out.output());
        if (past != null || flag(params, RETURN_KEY_VALUES)) {
            result.add(out.present().keys());
            result.add(out.present().values());
        }
        if (out.weights() != null) {
            result.add(out.weights());
        }
        return result;
    }

    private static boolean flag(PairList<String, Object> params, String name) {
        return params != null && Boolean.TRUE.equals(params.get(name));
    }

    // ---------------------------------------------------------------- DJL plumbing

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /**
     * Initialises the projections in {@code dataType} but tau, the distance bias and the sinks in float32,
     * whatever {@code dataType} is (docs/design.md §3): in float16 or bfloat16 a threshold like -0.3 would be
     * rounded and the Elastic-Softmax decision {@code P + tau/i > 0} made on a rounded value. Initialised here first,
     * they are already initialised when the block initialises its parameters in {@code dataType}.
     */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Parameter parameter : new Parameter[] {tau, distanceBias, sinks}) {
            if (parameter != null) {
                parameter.initialize(manager, DataType.FLOAT32);
            }
        }
        super.initialize(manager, dataType, inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        if (x.dimension() != 3 || x.get(2) != hiddenSize) {
            throw new IllegalArgumentException(
                    "LazyAttentionBlock input must be [batch, time, " + hiddenSize + "], got " + x);
        }
        query.initialize(manager, dataType, x);
        key.initialize(manager, dataType, x);
        value.initialize(manager, dataType, x);
        output.initialize(manager, dataType, new Shape(x.get(0), x.get(1), (long) numHeads * headDim));
        if (gate != null) {
            gate.initialize(manager, dataType, x);
        }
    }

    /** {@inheritDoc} */
    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        os.writeInt(hiddenSize);
        os.writeInt(numHeads);
        os.writeInt(numKvHeads);
        os.writeInt(headDim);
        os.writeUTF(variant.id());
        os.writeInt(biasLength);
        os.writeDouble(rope.base());
        os.writeInt(maxPositions);
        saveInputShapes(os);
    }

    /** {@inheritDoc} */
    @Override
    protected void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        if (loadVersion != 1) {
            throw new MalformedModelException(
                    "LazyAttentionBlock parameters have format version " + loadVersion + "; this library reads 1");
        }
        expect("hiddenSize", hiddenSize, is.readInt());
        expect("numHeads", numHeads, is.readInt());
        expect("numKvHeads", numKvHeads, is.readInt());
        expect("headDim", headDim, is.readInt());
        String savedVariant = is.readUTF();
        if (!savedVariant.equals(variant.id())) {
            throw new MalformedModelException(
                    "saved attention variant is " + savedVariant + " but this block is " + variant.id());
        }
        expect("biasLength", biasLength, is.readInt());
        double savedBase = is.readDouble();
        if (savedBase != rope.base()) {
            throw new MalformedModelException("saved ropeBase is " + savedBase + " but this block has " + rope.base());
        }
        is.readInt(); // maxPositions: a runtime limit, the block's own setting wins
        readInputShapes(is);
    }

    private static void expect(String name, int mine, int saved) throws MalformedModelException {
        if (mine != saved) {
            throw new MalformedModelException(
                    "saved " + name + " is " + saved + " but this block has " + mine);
        }
    }

    // ---------------------------------------------------------------- accessors

    public int hiddenSize() {
        return hiddenSize;
    }

    public int numHeads() {
        return numHeads;
    }

    public int numKvHeads() {
        return numKvHeads;
    }

    public int headDim() {
        return headDim;
    }

    public AttentionVariant variant() {
        return variant;
    }

    public int biasLength() {
        return biasLength;
    }

    public int maxPositions() {
        return maxPositions;
    }

    public Rope rope() {
        return rope;
    }

    /** The tau parameter [H], or null for variants without Elastic-Softmax. */
    public Parameter tau() {
        return tau;
    }

    /** The distance bias parameter [H, Lb], or null for variants without it. */
    public Parameter distanceBias() {
        return distanceBias;
    }

    /** The sink logits s [H] of {@link AttentionVariant#LEARNED_SINK}, or null for other variants. */
    public Parameter sinks() {
        return sinks;
    }

    /** The output gate projection Wg [C -> H] of {@link AttentionVariant#GATED}, or null for other variants. */
    public Linear gate() {
        return gate;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LazyAttentionBlock(variant=" + variant.id() + ", hidden=" + hiddenSize + ", heads=" + numHeads
                + ", kvHeads=" + numKvHeads + ", headDim=" + headDim + ", biasLength=" + biasLength
                + ", ropeBase=" + rope.base() + ")";
    }

    /**
     * Builder of {@link LazyAttentionBlock}: {@code set*} options are required, {@code opt*} ones have
     * the defaults of docs/design.md §3 (tau = -1, bias ~ N(0, 1e-3), weights ~ N(0, 0.02), RoPE base 10000).
     */
    public static final class Builder {
        private int hiddenSize = -1;
        private int numHeads = -1;
        private int headDim = -1;
        private int numKvHeads = -1;
        private AttentionVariant variant = AttentionVariant.LAZY;
        private double ropeBase = 10000;
        private int biasLength = 256;
        private int maxPositions = DEFAULT_MAX_POSITIONS;
        private float tauInit = -1f;
        private float biasInitStd = 1e-3f;
        private float weightInitStd = 0.02f;

        private Builder() {}

        /** Model width C (required). */
        public Builder setHiddenSize(int hiddenSize) {
            this.hiddenSize = hiddenSize;
            return this;
        }

        /** Number of query heads H (required). */
        public Builder setNumHeads(int numHeads) {
            this.numHeads = numHeads;
            return this;
        }

        /** Head size D (default C / H, which then must divide exactly). */
        public Builder optHeadDim(int headDim) {
            this.headDim = headDim;
            return this;
        }

        /** Number of key/value heads G for grouped-query attention (default H; must divide H). */
        public Builder optNumKvHeads(int numKvHeads) {
            this.numKvHeads = numKvHeads;
            return this;
        }

        /** Which parts of Lazy Attention to use (default {@link AttentionVariant#LAZY}). */
        public Builder optVariant(AttentionVariant variant) {
            this.variant = variant;
            return this;
        }

        /** RoPE base (default 10000). */
        public Builder optRopeBase(double ropeBase) {
            this.ropeBase = ropeBase;
            return this;
        }

        /** Number of distances Lb with a learned bias; farther keys get none (default 256). */
        public Builder optBiasLength(int biasLength) {
            this.biasLength = biasLength;
            return this;
        }

        /** Largest absolute position + 1 the block accepts (default 8192). */
        public Builder optMaxPositions(int maxPositions) {
            this.maxPositions = maxPositions;
            return this;
        }

        /** Initial value of every tau (default -1). */
        public Builder optTauInit(float tauInit) {
            this.tauInit = tauInit;
            return this;
        }

        /** Standard deviation of the initial distance bias (default 1e-3). */
        public Builder optBiasInitStd(float biasInitStd) {
            this.biasInitStd = biasInitStd;
            return this;
        }

        /** Standard deviation of the initial projection weights (default 0.02). */
        public Builder optWeightInitStd(float weightInitStd) {
            this.weightInitStd = weightInitStd;
            return this;
        }

        /** @throws IllegalArgumentException naming the bad value and the limit */
        public LazyAttentionBlock build() {
            if (hiddenSize < 1) {
                throw new IllegalArgumentException("hiddenSize must be set and >= 1, got " + hiddenSize);
            }
            if (numHeads < 1) {
                throw new IllegalArgumentException("numHeads must be set and >= 1, got " + numHeads);
            }
            if (headDim == -1) {
                if (hiddenSize % numHeads != 0) {
                    throw new IllegalArgumentException(
                            "hiddenSize " + hiddenSize + " is not divisible by numHeads " + numHeads
                                    + "; choose another head count or set headDim");
                }
                headDim = hiddenSize / numHeads;
            }
            if (headDim < 2 || headDim % 2 != 0) {
                throw new IllegalArgumentException("headDim must be even and >= 2 for RoPE, got " + headDim);
            }
            if (numKvHeads == -1) {
                numKvHeads = numHeads;
            }
            if (numKvHeads < 1 || numHeads % numKvHeads != 0) {
                throw new IllegalArgumentException(
                        "numHeads " + numHeads + " is not divisible by numKvHeads " + numKvHeads);
            }
            if (biasLength < 1) {
                throw new IllegalArgumentException("biasLength (Lb) must be >= 1, got " + biasLength);
            }
            if (maxPositions < 1) {
                throw new IllegalArgumentException("maxPositions must be >= 1, got " + maxPositions);
            }
            if (variant == null) {
                throw new IllegalArgumentException("variant must not be null");
            }
            if (!Float.isFinite(tauInit) || !(biasInitStd >= 0) || !(weightInitStd > 0)) {
                throw new IllegalArgumentException(
                        "tauInit must be finite and the init standard deviations >= 0, got tauInit=" + tauInit
                                + ", biasInitStd=" + biasInitStd + ", weightInitStd=" + weightInitStd);
            }
            return new LazyAttentionBlock(this);
        }
    }
}

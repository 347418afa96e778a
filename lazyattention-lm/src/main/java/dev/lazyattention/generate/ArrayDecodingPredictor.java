package dev.lazyattention.generate;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.nlp.generate.CausalLMOutput;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.translate.TranslateException;
import ai.djl.translate.TranslatorContext;
import dev.lazyattention.model.LazyLmBlock;

/**
 * The step function of DJL's {@code TextGenerator} at the speed of the {@link ArrayDecoder}. DJL's search
 * hands the whole KV cache to the predictor at every step, and for one token the engine spends its time
 * dispatching some 500 small calls; this predictor runs those one-token steps on plain arrays instead and
 * returns what the engine would (logits, final hidden state, the cache grown by one position):
 *
 * <pre>
 * try (ZooModel&lt;NDList, CausalLMOutput&gt; model = LazyLmCriteria.builder(file)
 *                 .setTypes(NDList.class, CausalLMOutput.class).build().loadModel();
 *         Predictor&lt;NDList, CausalLMOutput&gt; predictor = ArrayDecodingPredictor.of(model)) {
 *     NDArray ids = new TextGenerator(predictor, "greedy", config).greedySearch(prompt);
 * }
 * </pre>
 *
 * <p>A call runs on the arrays only when it is the next step of the sequence this predictor holds: one token of
 * one sequence ({@code ids [1, 1]}), no padding (an attention mask of ones), at the position that follows the
 * cache, below the model's context length (the decoder's capacity), with as past keys and values the very
 * arrays this predictor returned from its previous call, which the engine computed or this predictor grew.
 * Every other call goes to the engine unchanged: the prompt's pass, a batch, padding, beam and contrastive
 * search (which reshape the cache), a cache made elsewhere, a step past the capacity. After an engine call of
 * one sequence without padding, its cache is remembered, and the decoder loads it when the next call is a
 * one-token step on it; so greedy search runs its prompt on the engine and every later step on arrays.
 *
 * <p>The caches a step returns are views of the first positions of one tensor that holds the sequence's keys
 * and values of every layer up to the context length: a step writes one position into it instead of copying
 * the past, and the caches a search keeps from earlier steps share that storage rather than each holding a
 * copy. A view keeps its values: a sequence only writes the position after its newest view, and a new sequence
 * gets new tensors.
 *
 * <p>The weights are copied once, when the predictor is made: it does not follow later changes to the
 * model's parameters. A model the array decoder cannot run ({@link DecoderWeights#unsupportedReason}: another
 * attention variant, parameters not float32 or not on the CPU, a block that is not a {@link LazyLmBlock}) is served
 * by the engine at every call ({@link #arrayDecoderRefusal()} says why). Like any DJL predictor it is not
 * thread-safe: one thread at a time, one search at a time. Closing it stops the decoder's worker threads, if any.
 */
public final class ArrayDecodingPredictor extends Predictor<NDList, CausalLMOutput> {

    private final ArrayDecoder decoder; // null: every call on the engine
    private final String refusal;
    private final int layers;
    private final float[] logits;
    private final float[] hidden;
    private final float[] key;
    private final float[] value;
    /** The new position's keys and values of every layer, [k0, v0, k1, v1, ...] each [G D]. */
    private final float[] newRows;

    /** The cache this predictor returned last ([k0, v0, k1, v1, ...]), or null when it holds none. */
    private NDArray[] returned;
    /**
     * The keys and values of the sequence on arrays, [2L, 1, G, capacity, D] in the order k0, v0, k1, v1, ...;
     * what a step returns are views of it (one tensor, so a step writes its new position with one call). Null
     * before the first step on arrays.
     */
    private NDArray cache;
    /** Whether the decoder's cache holds exactly {@link #returned} (else it is loaded from them first). */
    private boolean decoderInSync;
    private long arraySteps;

    private ArrayDecodingPredictor(Model model, ArrayDecoder decoder, String refusal) {
        super(model, new CausalLmTranslator(), model.getNDManager().getDevice(), false);
        this.decoder = decoder;
        this.refusal = refusal;
        Block block = model.getBlock();
        if (decoder != null) {
            LazyLmBlock lm = (LazyLmBlock) block;
            layers = lm.config().numLayers();
            logits = new float[lm.config().vocabSize()];
            hidden = new float[lm.config().hiddenSize()];
            key = new float[lm.config().numKvHeads() * lm.config().headDim()];
            value = new float[key.length];
            newRows = new float[2 * layers * key.length];
        } else {
            layers = 0;
            logits = null;
            hidden = null;
            key = null;
            value = null;
            newRows = null;
        }
    }

    /**
     * A predictor for DJL's {@code TextGenerator} on {@code model} (a model file loaded through the serving
     * package's {@code LazyLmCriteria}, or DJL's {@code Criteria} with {@code LazyLmTranslatorFactory}), with as many decoder threads
     * as {@link Generator} uses ({@link Generator#defaultDecoderThreads()}).
     */
    public static ArrayDecodingPredictor of(Model model) {
        return of(model, Generator.defaultDecoderThreads());
    }

    /**
     * A predictor for DJL's {@code TextGenerator} on {@code model} whose array decoder runs on {@code
     * decoderThreads} threads (at least 1: the caller and {@code decoderThreads - 1} worker threads, which share
     * every step; at most one per query head is used, see {@link ArrayDecoder#threads()}).
     */
    public static ArrayDecodingPredictor of(Model model, int decoderThreads) {
        if (decoderThreads < 1) {
            throw new IllegalArgumentException("decoderThreads must be >= 1, got " + decoderThreads);
        }
        Block block = model.getBlock();
        String reason = block instanceof LazyLmBlock
                ? DecoderWeights.unsupportedReason((LazyLmBlock) block, model.getNDManager().getDevice())
                : "the block is " + (block == null ? "missing" : block.getClass().getName()) + ", not a LazyLmBlock";
        if (reason != null) {
            return new ArrayDecodingPredictor(model, null, reason);
        }
        LazyLmBlock lm = (LazyLmBlock) block;
        DecoderWeights weights = DecoderWeights.of(lm, model.getNDManager().getDevice());
        // Dense, as Generator decodes: the sparse sum of values gives the same numbers and did not pay on a CPU.
        ArrayDecoder decoder = new ArrayDecoder(weights, lm.config().contextLength(), false, decoderThreads);
        return new ArrayDecodingPredictor(model, decoder, null);
    }

    /** Why every call of this predictor runs on the engine, or null when one-token steps run on arrays. */
    public String arrayDecoderRefusal() {
        return refusal;
    }

    /** Threads of its array decoder (by default {@link Generator#defaultDecoderThreads()}); 0 when all runs on the engine. */
    public int decoderThreads() {
        return decoder == null ? 0 : decoder.threads();
    }

    /** Calls served by the array decoder since the predictor was made (the others ran on the engine). */
    public long arraySteps() {
        return arraySteps;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList predictInternal(TranslatorContext ctx, NDList input) throws TranslateException {
        if (decoder != null) {
            int token = nextStepToken(input);
            if (token >= 0) {
                return step(ctx.getNDManager(), input, token);
            }
        }
        NDList output = super.predictInternal(ctx, input);
        if (decoder != null) {
            remember(input, output);
        }
        return output;
    }

    /**
     * The token of a call that continues the sequence this predictor holds on arrays, or -1 when the engine must
     * serve it. Checks the cheap conditions (shapes, identity) before reading anything back from the engine.
     */
    private int nextStepToken(NDList input) {
        if (returned == null || input.size() != 3 + returned.length) {
            return -1;
        }
        for (int i = 0; i < returned.length; i++) {
            if (input.get(3 + i) != returned[i]) {
                return -1;
            }
        }
        NDArray ids = input.get(0); // [B, T]
        if (!ids.getShape().equals(new Shape(1, 1))) {
            return -1;
        }
        int past = Math.toIntExact(returned[0].getShape().get(2)); // [1, G, P, D]
        if (past >= decoder.capacity() || input.get(1).toLongArray()[0] != past || !allOnes(input.get(2), past + 1)) {
            return -1;
        }
        return Math.toIntExact(ids.toLongArray()[0]);
    }

    /** Whether the attention mask is [1, n] of ones: no padding. */
    private static boolean allOnes(NDArray mask, int n) {
        if (!mask.getShape().equals(new Shape(1, n))) {
            return false;
        }
        for (long m : mask.toLongArray()) {
            if (m != 1) {
                return false;
            }
        }
        return true;
    }

    /**
     * One token on the array decoder; the output in the engine's layout [logits, hidden, k0, v0, ...]. The new
     * position's keys and values of every layer are written into the sequence's cache tensor with one call, and
     * the caches returned are views of its first {@code past + 1} positions: no copy of the past per step, and
     * views handed out earlier keep their values, since a sequence only ever writes the position after the
     * newest view.
     */
    private NDList step(NDManager manager, NDList input, int token) {
        int past = Math.toIntExact(returned[0].getShape().get(2)); // [1, G, P, D]
        if (!decoderInSync) {
            load(past);
        }
        decoder.step(token, logits, hidden);
        NDList output = new NDList(2 + returned.length);
        output.add(manager.create(logits, new Shape(1, 1, logits.length))); // [1, 1, V]
        output.add(manager.create(hidden, new Shape(1, 1, hidden.length))); // [1, 1, C]
        Shape pastShape = returned[0].getShape(); // [1, G, P, D]
        int width = key.length;
        for (int l = 0; l < layers; l++) {
            decoder.keyValueAt(l, past, key, value);
            System.arraycopy(key, 0, newRows, 2 * l * width, width);
            System.arraycopy(value, 0, newRows, (2 * l + 1) * width, width);
        }
        Shape rows = new Shape(2L * layers, 1, pastShape.get(1), 1, pastShape.get(3)); // [2L, 1, G, 1, D]
        try (NDArray fresh = manager.create(newRows, rows)) {
            // Indexes built by call, not parsed from text: a step makes 2L + 1 of them.
            cache.set(new NDIndex().addAllDim(3).addSliceDim(past, past + 1).addAllDim(), fresh);
        }
        for (int i = 0; i < 2 * layers; i++) {
            output.add(cache.get(new NDIndex().addIndices(i).addAllDim(2).addSliceDim(0, past + 1).addAllDim()));
            // [1, G, P + 1, D]
        }
        keep(output);
        decoderInSync = true;
        arraySteps++;
        return output;
    }

    /**
     * Starts a sequence on arrays from the remembered engine cache of {@code positions} positions: fills the
     * decoder's cache, and a new cache tensor (the old one stays alive for as long as views of it do).
     */
    private void load(int positions) {
        float[][] k = new float[layers][];
        float[][] v = new float[layers][];
        for (int l = 0; l < layers; l++) {
            k[l] = returned[2 * l].toFloatArray(); // [1, G, P, D]
            v[l] = returned[2 * l + 1].toFloatArray(); // [1, G, P, D]
        }
        decoder.load(k, v, positions);
        closeCache();
        Shape shape = returned[0].getShape(); // [1, G, P, D]
        cache = manager.zeros(new Shape(2L * layers, 1, shape.get(1), decoder.capacity(), shape.get(3)),
                DataType.FLOAT32); // [2L, 1, G, capacity, D]
        // A search's NDScope closes the arrays made during its step; this one outlives the step.
        NDScope.unregister(cache);
        for (int i = 0; i < 2 * layers; i++) {
            cache.set(new NDIndex("{}, :, :, :{}, :", i, positions), returned[i]);
        }
    }

    private void closeCache() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }

    /**
     * After an engine call: keeps its cache for the next step when it is one sequence without padding at the
     * positions that follow the input's cache and fits the decoder; else forgets the cache it held.
     */
    private void remember(NDList input, NDList output) {
        returned = null;
        decoderInSync = false;
        NDArray ids = input.get(0); // [B, T]
        if (output.size() != 2 + 2 * layers || ids.getShape().get(0) != 1) {
            return;
        }
        int past = input.size() > 3 ? Math.toIntExact(input.get(3).getShape().get(2)) : 0; // [1, G, P, D]
        int total = Math.toIntExact(output.get(2).getShape().get(2)); // [1, G, P + T, D]
        if (total > decoder.capacity() || input.get(1).toLongArray()[0] != past || !allOnes(input.get(2), total)) {
            return;
        }
        keep(output);
    }

    private void keep(NDList output) {
        returned = output.subNDList(2).toArray(new NDArray[0]);
    }

    /** Stops the decoder's worker threads, if any, and closes the predictor. */
    @Override
    public void close() {
        if (decoder != null) {
            decoder.close();
        }
        closeCache();
        super.close();
    }
}

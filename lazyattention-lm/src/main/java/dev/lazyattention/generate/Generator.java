package dev.lazyattention.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.attention.CachedKeyValues;
import dev.lazyattention.eval.ScoringPass;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.engine.EngineThreads;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmOutput;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import dev.lazyattention.util.Tensors;

/**
 * Generates text with a KV cache: the prompt, after the end-of-text boundary ({@link
 * dev.lazyattention.tokenizer.BpeTokenizer#afterEndOfText}), is encoded once, then each step feeds one token
 * at its absolute position (RoPE, the distance bias and Elastic-Softmax's {@code tau/i} all see the same
 * positions as a full recomputation would). The prompt's pass is packed and read back by the scorer's
 * {@link ScoringPass}, which gives the prompt's log-probabilities ({@link Generation#promptLogProbabilities}).
 *
 * <p>Past the context length the window slides: when the text no longer fits, its last {@code 3/4} of a
 * context length of tokens are encoded afresh from position 0 and generation continues from there (the
 * model never sees a position it was not trained on). Full recomputation ({@code useCache = false})
 * applies the same rule, so both give the same tokens. A model trained with a start token ({@link
 * dev.lazyattention.model.LmConfig#startToken()}) sees a slid window as it saw its training windows: the
 * end-of-text token at position 0, then the window's tokens.
 *
 * <p>With the cache on, every pass after the prompt's (or a slide's) feeds one token, and for one token the
 * engine spends its time dispatching small calls. Where {@link DecoderWeights#unsupportedReason} allows, those
 * steps run on the {@link ArrayDecoder} instead: the engine's prompt pass fills its cache, and the weights are
 * copied from the model the first time a generator decodes (a generator does not follow later training of
 * its model). {@link GenerationOptions#engineOnly} keeps every step on the engine.
 */
public final class Generator {

    private final LazyLanguageModel lm;
    private DecoderWeights weights;
    private String refusal;
    private boolean checked;

    public Generator(LazyLanguageModel lm) {
        this.lm = lm;
    }

    /**
     * Why decoding steps of this model run on the engine rather than the {@link ArrayDecoder}, or null when
     * the array decoder serves them.
     */
    public synchronized String arrayDecoderRefusal() {
        if (!checked) {
            refusal = DecoderWeights.unsupportedReason(lm);
            if (refusal == null) {
                weights = DecoderWeights.of(lm);
            }
            checked = true;
        }
        return refusal;
    }

    /** A decoder for one generation, or null when these options or this model keep to the engine. */
    private ArrayDecoder arrayDecoder(GenerationOptions options) {
        if (options.engineOnly() || !options.useCache() || arrayDecoderRefusal() != null) {
            return null;
        }
        // Dense: skipping the value rows of exact zeros gives the same numbers and does not pay on a CPU
        // (docs/performance.md, "Sparse attention"), so it is an option of ArrayDecoder, off here.
        return new ArrayDecoder(weights, lm.config().contextLength(), false, defaultDecoderThreads());
    }

    /**
     * Threads of the array decoder: as many as the engine was given ({@link EngineThreads}: one per core for
     * each caller that may use it at once); 1 when no count was decided. The threads share every step (on idle
     * cores the rate grows with them until the memory's read rate binds); on cores busy with other work one
     * thread is faster, which {@code --threads 1} gives. Every front end that makes
     * an {@link ArrayDecoder} for generation takes this count, so that they all decode alike.
     */
    public static int defaultDecoderThreads() {
        EngineThreads.Decision decision = EngineThreads.current();
        return decision == null ? 1 : Math.max(1, decision.threads());
    }

    /** Continues {@code prompt} (which follows a document boundary). */
    public Generation generate(String prompt, GenerationOptions options) {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt must not be null");
        }
        return generate(lm.tokenizer().encode(prompt), options);
    }

    /** Continues the prompt tokens. */
    public Generation generate(int[] promptIds, GenerationOptions options) {
        int context = lm.config().contextLength();
        if (promptIds.length + 1 > context) {
            throw new IllegalArgumentException("the prompt has " + promptIds.length + " tokens; with the leading "
                    + "<|endoftext|> it must fit the model's context of " + context + " tokens");
        }
        try {
            return lm.withReadLock(() -> run(promptIds, options));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Generation run(int[] promptIds, GenerationOptions options) {
        ArrayDecoder decoder = arrayDecoder(options);
        try {
            return run(promptIds, options, decoder);
        } finally {
            if (decoder != null) {
                decoder.close();
            }
        }
    }

    private Generation run(int[] promptIds, GenerationOptions options, ArrayDecoder decoder) {
        Decoding decoding = new Decoding(promptIds, options, decoder);
        List<float[]> recorded = new ArrayList<>();
        Sampler sampler = new Sampler(options);
        int eos = lm.tokenizer().endOfTextId();
        try (NDManager generation = lm.newManager()) {
            for (int produced = 0; produced < options.maxNewTokens(); produced++) {
                float[] logits = decoding.nextLogits(generation);
                if (options.recordLogits()) {
                    recorded.add(logits.clone()); // the array decoder reuses its logits array
                }
                int token = sampler.next(logits);
                decoding.append(token);
                if (token == eos && options.stopAtEndOfText()) {
                    break;
                }
            }
        }
        int[] generated = decoding.generated();
        int textLength = generated.length > 0 && generated[generated.length - 1] == eos && options.stopAtEndOfText()
                ? generated.length - 1 : generated.length;
        String text = lm.tokenizer().decode(Arrays.copyOf(generated, textLength));
        return new Generation(promptIds.clone(), generated, text, recorded, decoding.slides,
                decoding.promptLogProbabilities);
    }

    /**
     * The state of one generation: the tokens so far (the boundary and the prompt first), the window the
     * model sees and the KV cache of that window's tokens.
     */
    private final class Decoding {
        private final GenerationOptions options;
        private final int promptTokens; // the boundary and the prompt
        private final int[] ids;
        private int length;
        private int windowStart;
        private int prefix; // 1 when the window is fed after a start token that is not one of ids, else 0
        private int slides;
        private List<CachedKeyValues> cache;
        private int cached; // positions of the window (the start token included) whose keys and values are cached
        private double[] promptLogProbabilities = new double[0];
        private final ArrayDecoder decoder; // null: every step on the engine
        private final float[] decoded;

        Decoding(int[] promptIds, GenerationOptions options, ArrayDecoder decoder) {
            this.options = options;
            this.decoder = decoder;
            this.decoded = decoder == null ? null : new float[lm.config().vocabSize()];
            int[] prompt = lm.tokenizer().afterEndOfText(promptIds);
            promptTokens = prompt.length;
            ids = Arrays.copyOf(prompt, prompt.length + options.maxNewTokens());
            length = prompt.length;
        }

        /**
         * The next-token logits [V] after the tokens so far; slides the window first if they no longer fit.
         * From the array decoder the array is reused by the next call.
         */
        float[] nextLogits(NDManager generation) {
            int context = lm.config().contextLength();
            if (length - windowStart + prefix > context) {
                windowStart = length - Math.max(1, context * 3 / 4);
                int start = SequenceScorer.startTokenOf(lm); // the scorer's rule: -1, or the token every window begins with
                prefix = start >= 0 && ids[windowStart] != start ? 1 : 0;
                slides++;
                cache = release(cache);
                cached = 0;
            }
            if (decoder != null && cached > 0 && cached == length - windowStart + prefix - 1) {
                decoder.step(ids[length - 1], decoded);
                cached++;
                return decoded; // [V], overwritten by the next step
            }
            try (NDManager step = generation.newSubManager()) {
                int from = options.useCache() ? windowStart + Math.max(0, cached - prefix) : windowStart;
                LmOutput out = forward(step, from);
                if (decoder != null) {
                    loadArrayCache(out);
                } else if (options.useCache()) {
                    keepCache(out, generation);
                }
                return out.logits().get(new NDIndex("0, -1")).toFloatArray(); // [V]
            }
        }

        /**
         * One forward pass over the tokens {@code [from, length)} of the window, after the cached ones. The
         * first pass is the prompt's: packed as the scorer packs a sequence, its log-probabilities read the
         * scorer's way.
         */
        private LmOutput forward(NDManager step, int from) {
            boolean first = from == 0 && length == promptTokens;
            ScoringPass prompt = first ? ScoringPass.whole(new ScoringRequest(Arrays.copyOf(ids, length), 1)) : null;
            NDArray input = first ? prompt.ids(step) : idsOf(step, from);
            int fed = Math.toIntExact(input.getShape().get(1));
            AttentionContext ctx = AttentionContext.builder(step, 1, fed)
                    .optPastLength(options.useCache() ? cached : 0)
                    .optPositionOffset(from - windowStart + prefix - (fed - (length - from)))
                    .build();
            LmOutput out = lm.block().forward(lm.parameterStore(step), input, options.useCache() ? cache : null, ctx,
                    false);
            if (first) {
                promptLogProbabilities = prompt.logProbabilities(out.logits());
            }
            return out;
        }

        /**
         * The tokens {@code [from, length)} as ids {@code [1, length - from]}, after the start token when they
         * begin a window that has one.
         */
        private NDArray idsOf(NDManager step, int from) {
            int lead = from == windowStart ? prefix : 0;
            long[] window = new long[lead + length - from];
            if (lead == 1) {
                window[0] = SequenceScorer.startTokenOf(lm);
            }
            for (int i = from; i < length; i++) {
                window[lead + i - from] = ids[i];
            }
            return Tensors.of(step, window, new Shape(1, window.length));
        }

        /** Moves the keys and values of the window out of the step's manager; they replace the old cache. */
        private void keepCache(LmOutput out, NDManager generation) {
            List<CachedKeyValues> next = new ArrayList<>(out.present().size());
            for (CachedKeyValues kv : out.present()) {
                kv.keys().attach(generation);
                kv.values().attach(generation);
                next.add(kv);
            }
            release(cache);
            cache = next;
            cached = length - windowStart + prefix;
        }

        /** Hands the keys and values of the window to the array decoder; the engine keeps none. */
        private void loadArrayCache(LmOutput out) {
            int layers = out.present().size();
            float[][] k = new float[layers][];
            float[][] v = new float[layers][];
            for (int l = 0; l < layers; l++) {
                k[l] = out.present().get(l).keys().toFloatArray(); // [1, G, T, D]
                v[l] = out.present().get(l).values().toFloatArray(); // [1, G, T, D]
            }
            cached = length - windowStart + prefix;
            decoder.load(k, v, cached);
        }

        void append(int token) {
            ids[length++] = token;
        }

        /** The tokens generated so far. */
        int[] generated() {
            return Arrays.copyOfRange(ids, promptTokens, length);
        }
    }

    private static List<CachedKeyValues> release(List<CachedKeyValues> cache) {
        if (cache != null) {
            for (CachedKeyValues kv : cache) {
                kv.keys().close();
                kv.values().close();
            }
        }
        return null;
    }
}

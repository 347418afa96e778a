package dev.lazyattention.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.attention.CachedKeyValues;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmOutput;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import dev.lazyattention.util.Tensors;

/**
 * Generates text with a KV cache: the prompt is encoded once, then each step feeds one token at its
 * absolute position (RoPE, the distance bias and Elastic-Softmax's {@code tau/i} all see the same
 * positions as a full recomputation would).
 *
 * <p>Past the context length the window slides: when the text no longer fits, its last {@code 3/4} of a
 * context length of tokens are encoded afresh from position 0 and generation continues from there (the
 * model never sees a position it was not trained on). Full recomputation ({@code useCache = false})
 * applies the same rule, so both give the same tokens.
 */
public final class Generator {

    private final LazyLanguageModel lm;

    public Generator(LazyLanguageModel lm) {
        this.lm = lm;
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
        int context = lm.config().contextLength();
        int keepOnSlide = Math.max(1, context * 3 / 4);
        int eos = lm.tokenizer().endOfTextId();
        int[] ids = new int[promptIds.length + 1 + options.maxNewTokens()];
        ids[0] = eos;
        System.arraycopy(promptIds, 0, ids, 1, promptIds.length);
        int length = promptIds.length + 1;
        int windowStart = 0;
        int slides = 0;
        List<float[]> recorded = new ArrayList<>();
        Sampler sampler = new Sampler(options);

        try (NDManager generation = lm.newManager()) {
            List<CachedKeyValues> cache = null;
            int cached = 0; // tokens of the window whose keys and values are in the cache
            int produced = 0;
            while (produced < options.maxNewTokens()) {
                if (length - windowStart > context) {
                    windowStart = length - keepOnSlide;
                    slides++;
                    cache = release(cache);
                    cached = 0;
                }
                float[] logits;
                try (NDManager step = generation.newSubManager()) {
                    int from = options.useCache() ? windowStart + cached : windowStart;
                    List<CachedKeyValues> past = options.useCache() ? cache : null;
                    int pastLength = options.useCache() ? cached : 0;
                    long[] input = new long[length - from];
                    for (int i = from; i < length; i++) {
                        input[i - from] = ids[i];
                    }
                    ParameterStore ps = lm.parameterStore(step);
                    AttentionContext ctx = AttentionContext.builder(step, 1, input.length)
                            .optPastLength(pastLength)
                            .optPositionOffset(from - windowStart)
                            .build();
                    LmOutput out = lm.block().forward(ps, Tensors.of(step, input, new Shape(1, input.length)), past, ctx, false);
                    logits = out.logits().get(new NDIndex("0, -1")).toFloatArray(); // [V]
                    if (options.useCache()) {
                        List<CachedKeyValues> next = new ArrayList<>(out.present().size());
                        for (CachedKeyValues kv : out.present()) {
                            kv.keys().attach(generation);
                            kv.values().attach(generation);
                            next.add(kv);
                        }
                        release(cache);
                        cache = next;
                        cached = length - windowStart;
                    }
                }
                if (options.recordLogits()) {
                    recorded.add(logits);
                }
                int token = sampler.next(logits);
                ids[length++] = token;
                produced++;
                if (token == eos && options.stopAtEndOfText()) {
                    break;
                }
            }
        }
        int[] generated = Arrays.copyOfRange(ids, promptIds.length + 1, length);
        int textLength = generated.length > 0 && generated[generated.length - 1] == eos && options.stopAtEndOfText()
                ? generated.length - 1 : generated.length;
        String text = lm.tokenizer().decode(Arrays.copyOf(generated, textLength));
        return new Generation(promptIds.clone(), generated, text, recorded, slides);
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

package dev.lazyattention.generate;

/**
 * How to generate: at most {@code maxNewTokens} tokens; {@code temperature} 0 is greedy (argmax), otherwise
 * logits are divided by it and, after optional top-k and top-p (nucleus) filtering, a token is drawn with a
 * {@code java.util.Random} seeded by {@code seed}; {@code stopAtEndOfText} ends at {@code <|endoftext|>};
 * {@code useCache} false recomputes the whole window at each step (slow; for checks); {@code recordLogits}
 * keeps every step's logits in the result; {@code engineOnly} decodes with the engine's forward pass at every
 * step instead of the {@link ArrayDecoder} (which is used, where the model allows, after the engine's prompt
 * pass when the cache is on).
 */
public record GenerationOptions(int maxNewTokens, double temperature, int topK, double topP, long seed,
        boolean stopAtEndOfText, boolean useCache, boolean recordLogits, boolean engineOnly) {

    /** The options with the array decoder allowed. */
    public GenerationOptions(int maxNewTokens, double temperature, int topK, double topP, long seed,
            boolean stopAtEndOfText, boolean useCache, boolean recordLogits) {
        this(maxNewTokens, temperature, topK, topP, seed, stopAtEndOfText, useCache, recordLogits, false);
    }

    public GenerationOptions {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
    }

    /** Greedy decoding of at most {@code maxNewTokens} tokens, stopping at end of text, with the KV cache. */
    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, 0, 0, 1, 0, true, true, false);
    }

    /** Sampling with temperature, top-k and top-p. */
    public static GenerationOptions sampling(int maxNewTokens, double temperature, int topK, double topP, long seed) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, true, true, false);
    }

    public GenerationOptions withCache(boolean on) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopAtEndOfText, on, recordLogits, engineOnly);
    }

    public GenerationOptions withRecordedLogits(boolean on) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopAtEndOfText, useCache, on, engineOnly);
    }

    public GenerationOptions withStopAtEndOfText(boolean on) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, on, useCache, recordLogits, engineOnly);
    }

    /** With {@code on}, every step runs the engine's forward pass (the array decoder is not used). */
    public GenerationOptions withEngineOnly(boolean on) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopAtEndOfText, useCache,
                recordLogits, on);
    }
}

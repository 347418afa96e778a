package dev.lazyattention.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Language-modelling quality of a model on some text, with the metric names of docs/design.md §6.
 *
 * @param nll total negative log-likelihood in nats
 * @param tokens scored tokens
 * @param bytes UTF-8 bytes of the scored text
 * @param attention attention diagnostics, or null when not computed
 * @param collapse representational collapse per layer, or null when not computed
 */
public record EvalResult(double nll, long tokens, long bytes, AttentionStats attention, CollapseStats collapse) {

    /** Mean nats per token. */
    public double loss() {
        return nll / tokens;
    }

    public double perplexity() {
        return Math.exp(loss());
    }

    /** Total NLL over the UTF-8 bytes, in bits: comparable across tokenizers. */
    public double bitsPerByte() {
        return nll / bytes / Math.log(2);
    }

    /** The metrics as an ordered map (for JSON). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("loss", loss());
        m.put("perplexity", perplexity());
        m.put("bitsPerByte", bitsPerByte());
        m.put("tokens", tokens);
        m.put("bytes", bytes);
        if (attention != null) {
            m.put("sparsity", attention.sparsity());
            m.put("sparsityPerLayer", attention.sparsityPerLayer());
            m.put("sinkMass", attention.sinkMass());
            m.put("sinkRate", attention.sinkRate());
            m.put("survivingMass", attention.survivingMass());
        }
        if (collapse != null) {
            m.put("meanCosine", collapse.meanCosinePerLayer());
            m.put("effectiveRank", collapse.effectiveRankPerLayer());
            m.put("meanCosineFinal", collapse.meanCosineFinal());
            m.put("effectiveRankFinal", collapse.effectiveRankFinal());
            m.put("collapseWindows", collapse.windows());
        }
        return m;
    }
}

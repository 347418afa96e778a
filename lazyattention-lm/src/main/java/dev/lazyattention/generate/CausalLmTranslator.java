package dev.lazyattention.generate;

import ai.djl.modality.nlp.generate.CausalLMOutput;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * The step translator of DJL's {@code TextGenerator}: input {@code [ids, positionIds, attentionMask, k0, v0,
 * ...]} passes to the block unchanged, and the block's {@code [logits, hidden, k0', v0', ...]} becomes a
 * {@link CausalLMOutput} that the search may keep after the call.
 */
public final class CausalLmTranslator implements NoBatchifyTranslator<NDList, CausalLMOutput> {

    @Override
    public NDList processInput(TranslatorContext ctx, NDList input) {
        return input;
    }

    @Override
    public CausalLMOutput processOutput(TranslatorContext ctx, NDList list) {
        // The context's manager closes after this call; the generator keeps these arrays longer.
        list.attach(ctx.getPredictorManager());
        NDList cache = new NDList(list.subNDList(2));
        return new CausalLMOutput(list.get(0), list.get(1), cache);
    }
}

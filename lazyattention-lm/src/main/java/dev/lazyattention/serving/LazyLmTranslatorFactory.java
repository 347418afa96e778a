package dev.lazyattention.serving;

import dev.lazyattention.eval.ScoringPass;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.generate.CausalLmTranslator;
import dev.lazyattention.modelfile.ModelFileFormat;

import ai.djl.Model;
import ai.djl.modality.nlp.generate.CausalLMOutput;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.TokenizerJson;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Translators for a model file loaded through DJL's {@code Criteria}:
 *
 * <ul>
 *   <li>{@code (NDList, CausalLMOutput)}: the step function of DJL's {@code TextGenerator} (greedy, beam
 *       and contrastive search), input {@code [ids, positionIds, attentionMask, k0, v0, ...]};
 *   <li>{@code (String, Float)}: the natural-log probability of a text that fits one context window
 *       (longer texts: use {@code SequenceScorer}, which slides windows);
 *   <li>{@code (NDList, NDList)}: the block itself, {@code [ids]} to {@code [logits]}.
 * </ul>
 */
public final class LazyLmTranslatorFactory implements TranslatorFactory {

    private static final Set<Pair<Type, Type>> TYPES = Set.of(
            new Pair<>(NDList.class, CausalLMOutput.class),
            new Pair<>(String.class, Float.class),
            new Pair<>(NDList.class, NDList.class));

    /** {@inheritDoc} */
    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return TYPES;
    }

    /** {@inheritDoc} */
    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
            throws TranslateException {
        if (input == NDList.class && output == CausalLMOutput.class) {
            return (Translator<I, O>) new CausalLmTranslator();
        }
        if (input == NDList.class && output == NDList.class) {
            return (Translator<I, O>) new NoopTranslator();
        }
        if (input == String.class && output == Float.class) {
            Path folder = model.getModelPath();
            try {
                BpeTokenizer tokenizer = TokenizerJson.load(folder.resolve(ModelFileFormat.TOKENIZER));
                int context = Integer.parseInt(model.getProperty("contextLength", "0"));
                return (Translator<I, O>) new TextLogProbabilityTranslator(tokenizer, context);
            } catch (IOException e) {
                throw new TranslateException("cannot read " + ModelFileFormat.TOKENIZER + " in " + folder, e);
            }
        }
        throw new TranslateException("unsupported types " + input.getName() + " -> " + output.getName());
    }

    /**
     * A text's log-probability, each token predicted from the ones before it after {@code <|endoftext|>}: the
     * text is packed and read back by the scorer's {@link ScoringPass}, DJL's predictor runs the block.
     */
    static final class TextLogProbabilityTranslator implements NoBatchifyTranslator<String, Float> {

        private static final String PASS = "pass";

        private final BpeTokenizer tokenizer;
        private final int contextLength;

        TextLogProbabilityTranslator(BpeTokenizer tokenizer, int contextLength) {
            this.tokenizer = tokenizer;
            this.contextLength = contextLength;
        }

        @Override
        public NDList processInput(TranslatorContext ctx, String text) throws TranslateException {
            int[] tokens = tokenizer.afterEndOfText(tokenizer.encode(text));
            if (contextLength > 0 && tokens.length > contextLength) {
                throw new TranslateException("the text has " + (tokens.length - 1) + " tokens; one window holds "
                        + (contextLength - 1) + " (use SequenceScorer for longer texts)");
            }
            ScoringPass pass = ScoringPass.whole(new ScoringRequest(tokens, 1));
            ctx.setAttachment(PASS, pass);
            return new NDList(pass.ids(ctx.getNDManager()));
        }

        @Override
        public Float processOutput(TranslatorContext ctx, NDList list) {
            double sum = 0;
            for (double logProbability : ((ScoringPass) ctx.getAttachment(PASS)).logProbabilities(list.head())) {
                sum += logProbability;
            }
            return (float) sum;
        }
    }
}

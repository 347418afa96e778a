package dev.lazyattention.lab.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.generate.ArrayDecoder;
import dev.lazyattention.generate.DecoderWeights;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.testing.TinyModels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The bench's copy of a decoder's cache continues exactly as the decoder it was copied from. */
class DecodeBenchTest {

    @Test
    void theWeightsReadPerTokenAreEveryParameterButTheOtherEmbeddingRows() {
        // Without tau, sinks or a distance bias, a token reads every parameter except V - 1 embedding rows.
        for (AttentionVariant variant : new AttentionVariant[] {AttentionVariant.SOFTMAX, AttentionVariant.GATED}) {
            LmConfig config = TinyModels.config(variant);
            long expected = (config.parameterCount() - (long) (config.vocabSize() - 1) * config.hiddenSize()) * 4;
            assertEquals(expected, DecodeBench.weightBytesPerToken(config), variant.id());
        }
    }

    @Test
    void aCopiedCacheDecodesLikeTheOriginal() {
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            int capacity = lm.config().contextLength();
            int[] ids = new Random(7).ints(capacity, 0, lm.config().vocabSize()).toArray();
            DecoderWeights weights = DecoderWeights.of(lm);
            ArrayDecoder original = new ArrayDecoder(weights, capacity, false);
            int prefix = capacity / 2;
            for (int t = 0; t < prefix; t++) {
                original.step(ids[t], null);
            }
            for (boolean sparse : new boolean[] {false, true}) {
                ArrayDecoder copy = new ArrayDecoder(weights, capacity, sparse, 2);
                DecodeBench.copyCache(lm.config(), original, copy);
                assertEquals(prefix, copy.length());
                // A fresh decoder that stepped through the same prefix is the reference for the copy.
                ArrayDecoder reference = new ArrayDecoder(weights, capacity, sparse, 1);
                for (int t = 0; t < prefix; t++) {
                    reference.step(ids[t], null);
                }
                float[] expected = new float[lm.config().vocabSize()];
                float[] actual = new float[lm.config().vocabSize()];
                for (int t = prefix; t < capacity; t++) {
                    reference.step(ids[t], expected);
                    copy.step(ids[t], actual);
                    assertArrayEquals(expected, actual, 1e-5f, "position " + t + (sparse ? ", sparse" : ", dense"));
                }
                copy.close();
                reference.close();
            }
            original.close();
        }
    }
}

package dev.lazyattention.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.testing.ReferenceLm;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.util.Tensors;
import java.util.Iterator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The array decoder against the engine: the engine's forward pass is the reference (it implements
 * docs/design.md §3 in tensors and is itself checked against float64 references and the golden example).
 */
class ArrayDecoderTest {

    static Stream<Arguments> variantsWithAndWithoutGqa() {
        return Stream.of(AttentionVariant.values())
                // tiny has 4 query heads: with fewer key/value heads than threads, several threads compute one
                .flatMap(v -> Stream.of(Arguments.of(v, 1), Arguments.of(v, 2), Arguments.of(v, 4)));
    }

    private static LmConfig config(AttentionVariant variant, int kvHeads, int context) {
        return TinyModels.config(variant).with(LmConfig.NUM_KV_HEADS, kvHeads).with(LmConfig.CONTEXT_LENGTH, context);
    }

    @ParameterizedTest
    @MethodSource("variantsWithAndWithoutGqa")
    void generationOnArraysMatchesTheEngineAtEveryStepAlsoAcrossSlides(AttentionVariant variant, int kvHeads) {
        try (LazyLanguageModel lm = LazyLanguageModel.create(config(variant, kvHeads, 32), TinyModels.tokenizer(),
                Device.cpu(), 5)) {
            sharpenAttention(lm);
            Generator generator = new Generator(lm);
            assertNull(generator.arrayDecoderRefusal());
            // 20 prompt tokens: longer than the bias length (16); 60 new tokens slide the window of 32 twice.
            int[] prompt = lm.tokenizer().encode("The small cat watches the garden while the old dog sleeps by the door");
            assertTrue(prompt.length > 16, "prompt of " + prompt.length + " tokens");
            GenerationOptions options = GenerationOptions.greedy(60).withStopAtEndOfText(false).withRecordedLogits(true);
            Generation engine = generator.generate(prompt, options.withEngineOnly(true));
            Generation arrays = generator.generate(prompt, options);
            assertEquals(engine.text(), arrays.text());
            assertArrayEquals(engine.ids(), arrays.ids());
            assertTrue(arrays.slides() >= 2, "slides: " + arrays.slides());
            for (int step = 0; step < engine.logits().size(); step++) {
                assertArrayEquals(ReferenceLm.logSoftmaxOf(engine.logits().get(step)),
                        ReferenceLm.logSoftmaxOf(arrays.logits().get(step)), 1e-4,
                        "step " + step);
            }
        }
    }

    /**
     * Positions past the model's context length: the engine allows them in a model built with a longer
     * context and the same weights, scoring the whole sequence at once (no cache); the decoder of the short
     * model steps through it. Sparse and dense, one thread and 2, 3 or 4, give identical logits and hidden
     * states: no sum depends on the split of the work.
     */
    @ParameterizedTest
    @MethodSource("variantsWithAndWithoutGqa")
    void stepsPastTheContextLengthMatchTheEnginesWholeSequencePassAndSparseAndThreadsEqualDense(AttentionVariant variant,
            int kvHeads) {
        int length = 80;
        try (LazyLanguageModel lm = LazyLanguageModel.create(config(variant, kvHeads, 32), TinyModels.tokenizer(),
                Device.cpu(), 9);
                LazyLanguageModel longer = LazyLanguageModel.create(config(variant, kvHeads, length),
                        TinyModels.tokenizer(), Device.cpu(), 1)) {
            sharpenAttention(lm);
            copyParameters(lm, longer);
            int[] ids = new java.util.Random(3).ints(length, 0, lm.config().vocabSize()).toArray();
            float[][] reference = engineLogits(longer, ids); // [T][V]
            DecoderWeights weights = DecoderWeights.of(lm);
            ArrayDecoder dense = new ArrayDecoder(weights, length, false);
            ArrayDecoder sparse = new ArrayDecoder(weights, length, true);
            ArrayDecoder[] threaded = new ArrayDecoder[3]; // 2, 3 and 4 threads, dense, sparse, dense
            for (int i = 0; i < threaded.length; i++) {
                threaded[i] = new ArrayDecoder(weights, length, i == 1, i + 2);
                assertEquals(i + 2, threaded[i].threads());
            }
            int v = lm.config().vocabSize();
            int hiddenSize = lm.config().hiddenSize();
            float[] a = new float[v];
            float[] b = new float[v];
            float[] c = new float[v];
            float[] hiddenA = new float[hiddenSize];
            float[] hiddenC = new float[hiddenSize];
            for (int t = 0; t < length; t++) {
                dense.step(ids[t], a, hiddenA);
                sparse.step(ids[t], b);
                assertArrayEquals(a, b, 0f, "sparse against dense at position " + t);
                for (ArrayDecoder d : threaded) {
                    d.step(ids[t], c, hiddenC);
                    assertArrayEquals(a, c, 0f, d.threads() + " threads against one at position " + t);
                    assertArrayEquals(hiddenA, hiddenC, 0f, d.threads() + " threads' hidden state at " + t);
                }
                assertArrayEquals(ReferenceLm.logSoftmaxOf(reference[t]), ReferenceLm.logSoftmaxOf(a), 1e-4,
                        "position " + t);
            }
            for (ArrayDecoder d : threaded) {
                d.close();
                IllegalStateException closed = assertThrows(IllegalStateException.class, () -> d.step(ids[0], c));
                assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            }
            if (variant.hasElasticSoftmax()) {
                assertTrue(sparse.skippedValueRowShare() > 0.3, "skipped " + sparse.skippedValueRowShare());
            } else {
                assertEquals(0, sparse.skippedValueRowShare());
            }
        }
    }

    /**
     * A thread count below 1 is refused; one above the query heads (tiny has 4) runs on one thread per head and
     * gives the one-thread logits.
     */
    @Test
    void threadCountsBelowOneAreRefusedAndAboveTheHeadsCapped() {
        try (LazyLanguageModel lm = LazyLanguageModel.create(config(AttentionVariant.LAZY, 2, 16),
                TinyModels.tokenizer(), Device.cpu(), 2)) {
            DecoderWeights weights = DecoderWeights.of(lm);
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> new ArrayDecoder(weights, 16, false, 0));
            assertEquals("threads must be >= 1, got 0", refused.getMessage());
            int v = lm.config().vocabSize();
            float[] one = new float[v];
            float[] many = new float[v];
            try (ArrayDecoder single = new ArrayDecoder(weights, 16, false, 1);
                    ArrayDecoder capped = new ArrayDecoder(weights, 16, false, 9)) {
                assertEquals(lm.config().numHeads(), capped.threads());
                for (int token : new int[] {5, 17, 3, 40}) {
                    single.step(token, one);
                    capped.step(token, many);
                    assertArrayEquals(one, many, 0f);
                }
            }
        }
    }

    /** The engine's logits at every position of {@code ids} from one pass without a cache. */
    private static float[][] engineLogits(LazyLanguageModel lm, int[] ids) {
        try (NDManager m = lm.newManager()) {
            long[] input = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                input[i] = ids[i];
            }
            NDArray x = Tensors.of(m, input, new Shape(1, ids.length)); // [1, T]
            AttentionContext ctx = AttentionContext.builder(m, 1, ids.length).build();
            float[] flat = lm.block().forward(lm.parameterStore(m), x, null, ctx, false).logits().toFloatArray();
            int v = lm.config().vocabSize();
            float[][] rows = new float[ids.length][v];
            for (int t = 0; t < ids.length; t++) {
                System.arraycopy(flat, t * v, rows[t], 0, v);
            }
            return rows;
        }
    }

    /**
     * Distance biases of order 1, thresholds between -1.5 and -0.2 and sinks between -2 and 2 instead of the
     * initial 1e-3, -1 and 0: an error in the bias index, the threshold or the sink then moves the logits far
     * beyond the tolerance.
     */
    private static void sharpenAttention(LazyLanguageModel lm) {
        java.util.Random random = new java.util.Random(17);
        for (Pair<String, Parameter> p : lm.block().getParameters()) {
            NDArray array = p.getValue().getArray();
            float[] values = array.toFloatArray();
            if (p.getKey().endsWith("distance_bias")) {
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) random.nextGaussian();
                }
                array.set(values);
            } else if (p.getKey().endsWith("tau")) {
                for (int i = 0; i < values.length; i++) {
                    values[i] = -0.2f - 1.3f * random.nextFloat();
                }
                array.set(values);
            } else if (p.getKey().endsWith("sinks")) {
                for (int i = 0; i < values.length; i++) {
                    values[i] = -2f + 4f * random.nextFloat();
                }
                array.set(values);
            }
        }
    }

    private static void copyParameters(LazyLanguageModel from, LazyLanguageModel to) {
        Iterable<Pair<String, Parameter>> source = from.block().getParameters();
        Iterator<Pair<String, Parameter>> target = to.block().getParameters().iterator();
        for (Pair<String, Parameter> p : source) {
            Pair<String, Parameter> q = target.next();
            assertEquals(p.getKey(), q.getKey());
            q.getValue().getArray().set(p.getValue().getArray().toFloatArray());
        }
    }
}

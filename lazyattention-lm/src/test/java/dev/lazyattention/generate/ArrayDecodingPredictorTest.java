package dev.lazyattention.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.modality.nlp.generate.CausalLMOutput;
import ai.djl.modality.nlp.generate.SearchConfig;
import ai.djl.modality.nlp.generate.TextGenerator;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.serving.LazyLmCriteria;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ArrayDecodingPredictor} against the engine: DJL's plain predictor on the same model file (the same
 * inputs, or the same search) and our {@link Generator}. The tiny preset has 4 query heads on 2 key/value
 * heads, so every model here uses grouped-query attention.
 */
class ArrayDecodingPredictorTest {

    @TempDir
    static Path dir;

    static final Map<AttentionVariant, Path> FILES = new EnumMap<>(AttentionVariant.class);

    @BeforeAll
    static void trainOnce() throws IOException {
        for (AttentionVariant variant : new AttentionVariant[] {AttentionVariant.LAZY, AttentionVariant.GATED}) {
            FILES.put(variant, TinyModels.trainedModelFile(dir.resolve(variant.id()), variant, 20));
        }
    }

    static ZooModel<NDList, CausalLMOutput> load(AttentionVariant variant) throws Exception {
        return LazyLmCriteria.builder(FILES.get(variant)).setTypes(NDList.class, CausalLMOutput.class)
                .optDevice(Device.cpu()).build().loadModel();
    }

    /** {@code <|endoftext|>} and the prompt's tokens, as TextGenerator takes them. */
    static long[] promptIds(LazyLanguageModel lm, String text) {
        int[] prompt = lm.tokenizer().encode(text);
        long[] input = new long[prompt.length + 1];
        input[0] = lm.tokenizer().endOfTextId();
        for (int i = 0; i < prompt.length; i++) {
            input[i + 1] = prompt[i];
        }
        return input;
    }

    static SearchConfig config(int maxSeqLength) {
        SearchConfig config = new SearchConfig();
        config.setMaxSeqLength(maxSeqLength);
        config.setPadTokenId(-1); // no padding: a mask of ones
        return config;
    }

    /** Each variant with one to four decoder threads (the caller and that many less one workers, sharing each step). */
    @ParameterizedTest
    @CsvSource({"LAZY, 1", "LAZY, 2", "LAZY, 3", "GATED, 1", "GATED, 2", "GATED, 4"})
    void greedySearchGivesTheEnginesAndGeneratorsTokens(AttentionVariant variant, int threads) throws Exception {
        int newTokens = 16;
        try (ZooModel<NDList, CausalLMOutput> model = load(variant);
                Predictor<NDList, CausalLMOutput> plain = model.newPredictor();
                ArrayDecodingPredictor fast = ArrayDecodingPredictor.of(model, threads);
                LazyLanguageModel lm = LazyLanguageModel.load(FILES.get(variant), Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            assertNull(fast.arrayDecoderRefusal());
            assertEquals(threads, fast.decoderThreads());
            long[] input = promptIds(lm, "The lazy dog");
            SearchConfig config = config(input.length + newTokens);
            NDArray ids = manager.create(input, new Shape(1, input.length));
            long[] engine = new TextGenerator(plain, "greedy", config).greedySearch(ids).toLongArray();
            long[] arrays = new TextGenerator(fast, "greedy", config).greedySearch(ids).toLongArray();
            Generation ours = new Generator(lm).generate(lm.tokenizer().encode("The lazy dog"),
                    GenerationOptions.greedy(newTokens).withStopAtEndOfText(false));

            assertArrayEquals(engine, arrays);
            long[] generated = Arrays.copyOfRange(arrays, input.length, arrays.length);
            assertArrayEquals(Arrays.stream(ours.ids()).asLongStream().toArray(), generated);
            // The prompt ran on the engine, every later step on arrays.
            assertEquals(newTokens - 1, fast.arraySteps());
        }
    }

    /**
     * Each one-token call, fed identically to both predictors, up to the full context: logits and hidden state
     * within 1e-4, the grown cache within 1e-5. The step past the context goes to the engine, which refuses it.
     * The caches returned share storage with the predictor's, so they are compared again after it ran another
     * sequence.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void everyStepMatchesThePlainPredictorOnTheSameInput(int threads) throws Exception {
        try (ZooModel<NDList, CausalLMOutput> model = load(AttentionVariant.LAZY);
                Predictor<NDList, CausalLMOutput> plain = model.newPredictor();
                ArrayDecodingPredictor fast = ArrayDecodingPredictor.of(model, threads);
                LazyLanguageModel lm = LazyLanguageModel.load(FILES.get(AttentionVariant.LAZY), Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            int capacity = lm.config().contextLength();
            long[] prompt = promptIds(lm, "The quick fox");
            CausalLMOutput out = fast.predict(input(manager, prompt, 0, null));
            List<NDList> expectedCaches = new ArrayList<>();
            List<NDList> actualCaches = new ArrayList<>();
            for (int position = prompt.length; position < capacity; position++) {
                NDList step = input(manager, new long[] {argmax(out.getLogits())}, position,
                        out.getPastKeyValuesList());
                CausalLMOutput reference = plain.predict(step);
                out = fast.predict(step);
                assertClose(reference.getLogits(), out.getLogits(), 1e-4, "logits at " + position);
                assertClose(reference.getHiddenState(), out.getHiddenState(), 1e-4, "hidden at " + position);
                NDList expected = reference.getPastKeyValuesList();
                NDList actual = out.getPastKeyValuesList();
                assertEquals(expected.size(), actual.size());
                for (int i = 0; i < expected.size(); i++) {
                    assertClose(expected.get(i), actual.get(i), 1e-5, "cache " + i + " at " + position);
                }
                expectedCaches.add(expected);
                actualCaches.add(actual);
            }
            assertEquals(capacity - prompt.length, fast.arraySteps());

            NDList past = input(manager, new long[] {argmax(out.getLogits())}, capacity, out.getPastKeyValuesList());
            TranslateException engine = assertThrows(TranslateException.class, () -> plain.predict(past));
            TranslateException arrays = assertThrows(TranslateException.class, () -> fast.predict(past));
            assertEquals(engine.getMessage(), arrays.getMessage());
            assertEquals(capacity - prompt.length, fast.arraySteps());

            // A second sequence on the same predictor leaves the caches handed out for the first as they were.
            CausalLMOutput second = fast.predict(input(manager, promptIds(lm, "A dog"), 0, null));
            for (int s = 0; s < 4; s++) {
                long position = second.getPastKeyValuesList().get(0).getShape().get(2);
                second = fast.predict(input(manager, new long[] {argmax(second.getLogits())}, (int) position,
                        second.getPastKeyValuesList()));
            }
            assertEquals(capacity - prompt.length + 4, fast.arraySteps());
            for (int s = 0; s < expectedCaches.size(); s++) {
                for (int i = 0; i < expectedCaches.get(s).size(); i++) {
                    assertClose(expectedCaches.get(s).get(i), actualCaches.get(s).get(i), 1e-5,
                            "cache " + i + " of step " + s + " after a second sequence");
                }
            }
        }
    }

    @Test
    void fewerThanOneDecoderThreadIsRefused() throws Exception {
        try (ZooModel<NDList, CausalLMOutput> model = load(AttentionVariant.LAZY)) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> ArrayDecodingPredictor.of(model, 0));
            assertEquals("decoderThreads must be >= 1, got 0", refused.getMessage());
        }
    }

    @Test
    void beamSearchIsTheEngines() throws Exception {
        try (ZooModel<NDList, CausalLMOutput> model = load(AttentionVariant.GATED);
                Predictor<NDList, CausalLMOutput> plain = model.newPredictor();
                ArrayDecodingPredictor fast = ArrayDecodingPredictor.of(model);
                LazyLanguageModel lm = LazyLanguageModel.load(FILES.get(AttentionVariant.GATED), Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            long[] input = promptIds(lm, "The lazy dog");
            SearchConfig config = config(input.length + 8);
            config.setBeam(2);
            NDArray ids = manager.create(input, new Shape(1, input.length));
            long[] engine = new TextGenerator(plain, "beam", config).beamSearch(ids).toLongArray();
            long[] arrays = new TextGenerator(fast, "beam", config).beamSearch(ids).toLongArray();
            assertArrayEquals(engine, arrays);
            assertEquals(0, fast.arraySteps());
        }
    }

    /**
     * A cache the predictor did not make (another text's, from the plain predictor, as long as the one it
     * holds) goes to the engine; the cache that call returns is then continued on arrays.
     */
    @Test
    void aForeignCacheIsServedByTheEngine() throws Exception {
        try (ZooModel<NDList, CausalLMOutput> model = load(AttentionVariant.LAZY);
                Predictor<NDList, CausalLMOutput> plain = model.newPredictor();
                ArrayDecodingPredictor fast = ArrayDecodingPredictor.of(model);
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            long[] own = {0, 11, 12, 13};
            long[] other = {0, 21, 22, 23};
            CausalLMOutput mine = fast.predict(input(manager, own, 0, null));
            fast.predict(input(manager, new long[] {14}, own.length, mine.getPastKeyValuesList()));
            assertEquals(1, fast.arraySteps());

            CausalLMOutput foreign = plain.predict(input(manager, new long[] {0, 21, 22, 23, 24}, 0, null));
            NDList step = input(manager, new long[] {25}, other.length + 1, foreign.getPastKeyValuesList());
            CausalLMOutput reference = plain.predict(step);
            CausalLMOutput out = fast.predict(step);
            assertEquals(1, fast.arraySteps());
            assertClose(reference.getLogits(), out.getLogits(), 0, "logits");

            NDList next = input(manager, new long[] {26}, other.length + 2, out.getPastKeyValuesList());
            CausalLMOutput expected = plain.predict(next);
            CausalLMOutput continued = fast.predict(next);
            assertEquals(2, fast.arraySteps());
            assertClose(expected.getLogits(), continued.getLogits(), 1e-4, "logits after the foreign cache");
        }
    }

    /** TextGenerator's input: ids [1, T], positions from {@code past}, a mask of ones, then the cache. */
    static NDList input(NDManager manager, long[] ids, int past, NDList cache) {
        NDList list = new NDList(manager.create(ids, new Shape(1, ids.length)), // [1, T]
                manager.arange(past, past + ids.length, 1, DataType.INT64).reshape(1, ids.length), // [1, T]
                manager.ones(new Shape(1, past + ids.length), DataType.INT64)); // [1, P + T]
        if (cache != null) {
            list.addAll(cache);
        }
        return list;
    }

    static long argmax(NDArray logits) {
        float[] last = logits.get("0, -1").toFloatArray(); // [V]
        int best = 0;
        for (int i = 1; i < last.length; i++) {
            if (last[i] > last[best]) {
                best = i;
            }
        }
        return best;
    }

    static void assertClose(NDArray expected, NDArray actual, double tolerance, String what) {
        assertEquals(expected.getShape(), actual.getShape(), what);
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            worst = Math.max(worst, Math.abs(e[i] - a[i]));
        }
        assertTrue(worst <= tolerance, what + ": differs by " + worst);
    }
}

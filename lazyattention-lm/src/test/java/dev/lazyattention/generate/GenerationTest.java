package dev.lazyattention.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.testing.ReferenceLm;
import dev.lazyattention.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Generation with the KV cache against full recomputation, sampling, stopping and bad prompts; a model with a
 * start token against the float64 {@link ReferenceLm} over windows built by hand.
 */
class GenerationTest {

    @TempDir
    static Path dir;

    static LazyLanguageModel lm;

    @BeforeAll
    static void train() throws IOException {
        lm = LazyLanguageModel.load(TinyModels.trainedModelFile(dir, AttentionVariant.LAZY, 30), Device.cpu());
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @ParameterizedTest
    @EnumSource(AttentionVariant.class)
    void cachedGenerationEqualsRecomputingEveryStepAlsoAcrossSlides(AttentionVariant variant) {
        // An untrained model of each variant: random weights give spread-out logits, a strict test.
        try (LazyLanguageModel model = TinyModels.fresh(variant, 11)) {
            int[] prompt = model.tokenizer().encode("The small cat watches the garden");
            // 60 new tokens with a context of 32: the window slides several times. Greedy, because with
            // sampling a 1e-7 difference can move a draw across a boundary and the sequences part.
            GenerationOptions options = GenerationOptions.greedy(60)
                    .withStopAtEndOfText(false).withRecordedLogits(true);
            Generation cached = new Generator(model).generate(prompt, options);
            Generation recomputed = new Generator(model).generate(prompt, options.withCache(false));
            assertArrayEquals(recomputed.ids(), cached.ids());
            assertTrue(cached.slides() >= 2, "slides: " + cached.slides());
            assertEquals(recomputed.slides(), cached.slides());
            for (int step = 0; step < cached.logits().size(); step++) {
                assertArrayEquals(recomputed.logits().get(step), cached.logits().get(step), 1e-4f, "step " + step);
            }
        }
    }

    @Test
    void aModelWithAStartTokenSeesItBeforeEverySlidWindow() {
        LmConfig config = TinyModels.config(AttentionVariant.SOFTMAX).with(LmConfig.START_TOKEN, true);
        try (LazyLanguageModel model = LazyLanguageModel.create(config, TinyModels.tokenizer(), Device.cpu(), 11)) {
            ReferenceLm reference = ReferenceLm.of(model);
            int eos = model.tokenizer().endOfTextId();
            int context = config.contextLength();
            int[] prompt = model.tokenizer().encode("The small cat watches the garden");
            GenerationOptions options = GenerationOptions.greedy(60).withStopAtEndOfText(false).withRecordedLogits(true);
            for (boolean cache : new boolean[] {true, false}) {
                Generation g = new Generator(model).generate(prompt, options.withCache(cache));
                assertTrue(g.slides() >= 2, "slides: " + g.slides());
                // The window by the documented rule: when the text no longer fits, its last 3/4 of a context,
                // after the end-of-text token.
                int[] all = new int[1 + prompt.length + g.ids().length];
                all[0] = eos;
                System.arraycopy(prompt, 0, all, 1, prompt.length);
                System.arraycopy(g.ids(), 0, all, 1 + prompt.length, g.ids().length);
                int windowStart = 0;
                int prefix = 0;
                for (int step = 0; step < g.logits().size(); step++) {
                    int length = 1 + prompt.length + step;
                    if (length - windowStart + prefix > context) {
                        windowStart = length - context * 3 / 4;
                        prefix = all[windowStart] == eos ? 0 : 1;
                    }
                    int[] row = new int[prefix + length - windowStart];
                    row[0] = eos;
                    System.arraycopy(all, windowStart, row, prefix, length - windowStart);
                    double[][] want = reference.logSoftmax(row);
                    double[] got = ReferenceLm.logSoftmaxOf(g.logits().get(step));
                    for (int v = 0; v < got.length; v++) {
                        assertEquals(want[row.length - 1][v], got[v], 1e-4,
                                "cache " + cache + ", step " + step + ", token " + v);
                    }
                }
            }
        }
    }

    @Test
    void sameSeedSameSampleOtherSeedOtherSample() {
        int[] prompt = lm.tokenizer().encode("The");
        GenerationOptions a = GenerationOptions.sampling(20, 1.2, 50, 0.95, 1).withStopAtEndOfText(false);
        GenerationOptions b = GenerationOptions.sampling(20, 1.2, 50, 0.95, 2).withStopAtEndOfText(false);
        assertArrayEquals(new Generator(lm).generate(prompt, a).ids(), new Generator(lm).generate(prompt, a).ids());
        assertNotEquals(new Generator(lm).generate(prompt, a).text(), new Generator(lm).generate(prompt, b).text());
    }

    @Test
    void generationStopsAtEndOfTextAndTheTextExcludesIt() {
        int eos = lm.tokenizer().endOfTextId();
        int stopped = 0;
        for (long seed = 0; seed < 20; seed++) {
            Generation g = new Generator(lm).generate("The quick fox sees the dog.",
                    GenerationOptions.sampling(100, 1.5, 0, 1.0, seed));
            int[] ids = g.ids();
            for (int i = 0; i < ids.length - 1; i++) {
                assertNotEquals(eos, ids[i], "nothing follows an end of text");
            }
            if (ids[ids.length - 1] == eos) {
                stopped++;
                assertEquals(lm.tokenizer().decode(java.util.Arrays.copyOf(ids, ids.length - 1)), g.text());
            } else {
                assertEquals(100, ids.length);
            }
        }
        assertTrue(stopped > 0, "a model trained on paragraphs ends some of them");
    }

    @Test
    void promptLongerThanTheContextIsRefused() {
        String longPrompt = "The old farmer helps the child. ".repeat(20);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Generator(lm).generate(longPrompt, GenerationOptions.greedy(5)));
        assertTrue(e.getMessage().contains("must fit the model's context of 32 tokens"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GenerationOptions.sampling(5, -1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> GenerationOptions.sampling(5, 1, 0, 0, 0));
    }
}

package dev.lazyattention.modelfile.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Export to a Hugging Face folder and import back: every parameter, the config and the log-probabilities. */
class HfFolderTest {

    static final String TEXT = "The quick fox sees the dog near the river. It jumps over the old fence.";

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(AttentionVariant.class)
    void everyVariantWithGqaAndTheStartTokenComesBackExactly(AttentionVariant variant) throws IOException {
        LmConfig config = TinyModels.config(variant).with(LmConfig.START_TOKEN, variant.ordinal() % 2 == 0);
        assertTrue(config.numKvHeads() < config.numHeads(), "grouped-query attention");
        try (LazyLanguageModel lm = HfTesting.randomised(config, 5)) {
            Path folder = dir.resolve(variant.id());
            lm.exportFolder(folder, DataType.FLOAT32);
            for (String file : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                    "generation_config.json", "README.md")) {
                assertTrue(Files.isRegularFile(folder.resolve(file)), file);
            }
            JsonObject json = JsonParser.parseString(Files.readString(folder.resolve("config.json"))).getAsJsonObject();
            boolean llama = variant == AttentionVariant.SOFTMAX;
            assertEquals(llama ? "llama" : "lazy_attention", json.get("model_type").getAsString());
            assertEquals(lm.tokenizer().endOfTextId(), json.get("bos_token_id").getAsInt());
            try (LazyLanguageModel back = LazyLanguageModel.load(folder, Device.cpu())) {
                assertEquals(llama ? HfTesting.withoutLazySettings(config) : config, back.config());
                Map<String, float[]> before = HfTesting.parameters(lm);
                Map<String, float[]> after = HfTesting.parameters(back);
                assertEquals(before.keySet(), after.keySet());
                before.forEach((name, values) -> assertArrayEquals(values, after.get(name), name));
                assertArrayEquals(lm.tokenizer().encode(TEXT), back.tokenizer().encode(TEXT));
                assertArrayEquals(logProbabilities(lm), logProbabilities(back), variant.id());
            }
        }
    }

    /** Loading a folder sets every parameter from the file and leaves the engine's random generator alone. */
    @Test
    void loadingAFolderLeavesTheEnginesRandomGeneratorAlone() throws IOException {
        try (LazyLanguageModel lm = HfTesting.randomised(TinyModels.config(AttentionVariant.LAZY), 5)) {
            Path folder = dir.resolve("lazy");
            lm.exportFolder(folder, DataType.FLOAT32);
            float[] expected = draw(1234);
            Engine.getInstance().setRandomSeed(1234);
            try (LazyLanguageModel back = LazyLanguageModel.load(folder, Device.cpu());
                    NDManager manager = NDManager.newBaseManager(Device.cpu())) {
                assertArrayEquals(expected, manager.randomUniform(0f, 1f, new Shape(16)).toFloatArray());
            }
        }
    }

    /** Sixteen uniform draws right after seeding the engine with {@code seed}. */
    private static float[] draw(int seed) {
        Engine.getInstance().setRandomSeed(seed);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            return manager.randomUniform(0f, 1f, new Shape(16)).toFloatArray();
        }
    }

    /**
     * A float16 or bfloat16 folder reloads into float32 within half an ulp of each weight (the rounding of
     * {@link HalfFloatsTest}), while tau, the distance bias and the sinks, float32 in the file, come back bit for bit.
     */
    @ParameterizedTest
    @CsvSource({"LAZY, FLOAT16, F16, 11, 0.01", "LAZY, BFLOAT16, BF16, 8, 0.05",
        "LEARNED_SINK, BFLOAT16, BF16, 8, 0.05"})
    void halfPrecisionFoldersReloadWithinRoundingWithTauTheBiasAndTheSinksExact(AttentionVariant variant,
            DataType dtype, String header, int bits, double logProbabilityTolerance) throws IOException {
        try (LazyLanguageModel lm = HfTesting.randomised(TinyModels.config(variant), 11)) {
            Path folder = dir.resolve(variant.id() + "-" + header);
            lm.exportFolder(folder, dtype);
            try (SafetensorsFile file = SafetensorsFile.open(folder.resolve("model.safetensors"), "f", "w")) {
                for (String exact : variant.hasLearnedSink() ? new String[] {"sinks"}
                        : new String[] {"tau", "distance_bias"}) {
                    assertEquals("F32", file.tensors().get("model.layers.1.self_attn." + exact).dtype(), exact);
                }
                assertEquals(header, file.tensors().get("model.layers.1.self_attn.q_proj.weight").dtype());
                assertEquals(header, file.tensors().get("lm_head.weight").dtype());
            }
            try (LazyLanguageModel back = LazyLanguageModel.load(folder, Device.cpu())) {
                Map<String, float[]> before = HfTesting.parameters(lm);
                Map<String, float[]> after = HfTesting.parameters(back);
                for (Map.Entry<String, float[]> e : before.entrySet()) {
                    float[] b = e.getValue();
                    float[] a = after.get(e.getKey());
                    if (e.getKey().endsWith("_tau") || e.getKey().endsWith("distance_bias")
                            || e.getKey().endsWith("_sinks")) {
                        assertArrayEquals(b, a, e.getKey());
                        continue;
                    }
                    for (int i = 0; i < b.length; i++) {
                        double halfUlp = Math.abs(b[i]) * Math.scalb(1.0, -bits) + Math.scalb(1.0, -25);
                        assertEquals(b[i], a[i], halfUlp, e.getKey() + "[" + i + "]");
                    }
                }
                double[] want = logProbabilities(lm);
                double[] got = logProbabilities(back);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], logProbabilityTolerance, "token " + i);
                }
            }
        }
    }

    static double[] logProbabilities(LazyLanguageModel lm) {
        int[] ids = lm.tokenizer().encode(TEXT);
        int[] tokens = new int[ids.length + 1];
        tokens[0] = lm.tokenizer().endOfTextId();
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        return new SequenceScorer(lm, ScoringOptions.defaults(32)).score(new ScoringRequest(tokens, 1))
                .logProbabilities();
    }
}

package dev.lazyattention.modelfile.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.modelfile.ModelFileException;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.testing.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A folder in Llama's own keys (as {@code transformers}' {@code LlamaConfig} writes them) loads as the softmax
 * variant; what our network cannot compute is refused by key and value.
 */
class LlamaFolderTest {

    @TempDir
    static Path dir;

    static Path exported;
    static double[] expected;

    /** config.json as transformers 4.44 writes a LlamaConfig, for the tiny softmax model. */
    static JsonObject llamaConfig(int boundary) {
        LmConfig c = TinyModels.config(AttentionVariant.SOFTMAX);
        return JsonParser.parseString("{\"architectures\": [\"LlamaForCausalLM\"], \"attention_bias\": false, "
                + "\"attention_dropout\": 0.0, \"bos_token_id\": " + boundary + ", \"eos_token_id\": " + boundary + ", "
                + "\"hidden_act\": \"silu\", \"hidden_size\": " + c.hiddenSize() + ", \"initializer_range\": 0.02, "
                + "\"intermediate_size\": " + c.mlpHiddenSize() + ", \"max_position_embeddings\": " + c.contextLength()
                + ", \"mlp_bias\": false, \"model_type\": \"llama\", \"num_attention_heads\": " + c.numHeads() + ", "
                + "\"num_hidden_layers\": " + c.numLayers() + ", \"num_key_value_heads\": " + c.numKvHeads() + ", "
                + "\"pretraining_tp\": 1, \"rms_norm_eps\": 1e-05, \"rope_scaling\": null, \"rope_theta\": 10000.0, "
                + "\"tie_word_embeddings\": false, \"torch_dtype\": \"float32\", \"transformers_version\": \"4.44.0\", "
                + "\"use_cache\": true, \"vocab_size\": " + c.vocabSize() + "}").getAsJsonObject();
    }

    @BeforeAll
    static void exportASoftmaxModel() throws IOException {
        exported = dir.resolve("softmax");
        try (LazyLanguageModel lm = HfTesting.randomised(TinyModels.config(AttentionVariant.SOFTMAX), 9)) {
            lm.exportFolder(exported, DataType.FLOAT32);
            expected = HfFolderTest.logProbabilities(lm);
        }
    }

    private static Path copy(String name, JsonObject config) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        for (String file : List.of("model.safetensors", "tokenizer.json")) {
            Files.copy(exported.resolve(file), folder.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(folder.resolve("config.json"), config.toString());
        return folder;
    }

    @Test
    void aLlamaConfigInTransformersOwnKeysLoadsAsTheSoftmaxVariant() throws IOException {
        JsonObject written = JsonParser.parseString(Files.readString(exported.resolve("config.json"))).getAsJsonObject();
        assertEquals("llama", written.get("model_type").getAsString(), "a softmax model is exported as a Llama");
        int boundary = TinyModels.tokenizer().endOfTextId();
        Path folder = copy("llama", llamaConfig(boundary));
        try (LazyLanguageModel lm = LazyLanguageModel.load(folder, Device.cpu())) {
            assertEquals(AttentionVariant.SOFTMAX, lm.config().attention());
            assertFalse(lm.config().startToken(), "one id for bos and eos: the token separates documents");
            assertEquals(1e-5f, lm.config().normEpsilon());
            assertArrayEquals(expected, HfFolderTest.logProbabilities(lm));
        }
        JsonObject start = llamaConfig(boundary);
        start.addProperty("start_token", true);
        try (LazyLanguageModel lm = LazyLanguageModel.load(copy("llama-start", start), Device.cpu())) {
            assertTrue(lm.config().startToken());
        }
    }

    @Test
    void tiedEmbeddingsWithoutAHeadTensorReadTheEmbeddingAsTheHead() throws IOException {
        JsonObject config = llamaConfig(TinyModels.tokenizer().endOfTextId());
        config.addProperty("tie_word_embeddings", true);
        Path folder = copy("tied", config);
        Files.write(folder.resolve("model.safetensors"),
                without(Files.readAllBytes(exported.resolve("model.safetensors")), "lm_head.weight"));
        try (LazyLanguageModel lm = LazyLanguageModel.load(folder, Device.cpu())) {
            Map<String, float[]> p = HfTesting.parameters(lm);
            assertArrayEquals(p.get("embedding"), p.get("head_weight"));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "model_type; \"mistral\"; model_type \"mistral\" is not supported (this library reads lazy_attention and llama)",
        "rope_scaling; {\"rope_type\":\"llama3\",\"factor\":8.0}; rope_scaling {\"rope_type\":\"llama3\",\"factor\":8.0} is not supported (our RoPE has no scaling)",
        "attention_bias; true; attention_bias true is not supported (our projections have no bias)",
        "mlp_bias; true; mlp_bias true is not supported (our MLP has no bias)",
        "sliding_window; 4096; sliding_window 4096 is not supported (our attention sees the whole context)",
        "head_dim; 32; head_dim 32 is not hidden_size / num_attention_heads (64 / 4)",
        "hidden_act; \"gelu\"; hidden_act \"gelu\" is not supported (our MLP is SwiGLU with silu)",
        "max_position_embeddings; 131072; max_position_embeddings must be <= 8192, got 131072",
        "bos_token_id; 7; the text boundary token id 7 (bos_token_id/eos_token_id) is not the tokenizer's special token",
    })
    void whatOurNetworkCannotComputeIsRefusedByKeyAndValue(String key, String value, String message)
            throws IOException {
        JsonObject config = llamaConfig(TinyModels.tokenizer().endOfTextId());
        config.add(key, JsonParser.parseString(value));
        Path folder = copy("refused-" + key, config);
        ModelFileException e = assertThrows(ModelFileException.class, () -> LazyLanguageModel.load(folder, Device.cpu()));
        assertTrue(e.getMessage().startsWith(folder + " [config.json]: " + message), e.getMessage());
    }

    @Test
    void aTokenizerThatIsNotByteLevelBpeIsRefused() throws IOException {
        Path folder = copy("metaspace", llamaConfig(TinyModels.tokenizer().endOfTextId()));
        JsonObject tokenizer = JsonParser.parseString(Files.readString(folder.resolve("tokenizer.json")))
                .getAsJsonObject();
        tokenizer.add("pre_tokenizer", JsonParser.parseString("{\"type\": \"Metaspace\", \"replacement\": \"\u2581\"}"));
        Files.writeString(folder.resolve("tokenizer.json"), tokenizer.toString());
        ModelFileException e = assertThrows(ModelFileException.class, () -> LazyLanguageModel.load(folder, Device.cpu()));
        assertEquals(folder + " [tokenizer.json]: pre_tokenizer of type \"Metaspace\" is not supported; expected "
                + "ByteLevel", e.getMessage());
    }

    /** A safetensors file without tensor {@code name}: the others' bytes moved up, their offsets renumbered. */
    static byte[] without(byte[] file, String name) {
        int headerLength = (int) ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject header = JsonParser.parseString(new String(file, 8, headerLength, StandardCharsets.UTF_8))
                .getAsJsonObject();
        header.remove(name);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        List<Map.Entry<String, JsonElement>> tensors = header.entrySet().stream()
                .sorted(Comparator.comparingLong(e -> e.getValue().getAsJsonObject().getAsJsonArray("data_offsets")
                        .get(0).getAsLong()))
                .toList();
        for (Map.Entry<String, JsonElement> t : tensors) {
            JsonArray offsets = t.getValue().getAsJsonObject().getAsJsonArray("data_offsets");
            int start = (int) offsets.get(0).getAsLong();
            int end = (int) offsets.get(1).getAsLong();
            JsonArray moved = new JsonArray();
            moved.add(data.size());
            moved.add(data.size() + end - start);
            data.write(file, 8 + headerLength + start, end - start);
            t.getValue().getAsJsonObject().add("data_offsets", moved);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + data.size()).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).put(data.toByteArray()).array();
    }
}

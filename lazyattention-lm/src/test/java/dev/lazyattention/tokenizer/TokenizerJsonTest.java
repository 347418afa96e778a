package dev.lazyattention.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerJsonTest {

    /** Merges "a a" and "Ġ aa", see BpeTrainerTest. */
    private static final BpeTokenizer TINY = new BpeTrainer(300).train(List.of("aaa aaa aab"));

    @TempDir
    Path dir;

    @Test
    void savedFileLoadsBackToTheSameTokenizer() throws IOException {
        BpeTokenizer original = TestTexts.tokenizer();
        Path file = dir.resolve("tokenizer.json");
        TokenizerJson.save(original, file);
        BpeTokenizer loaded = TokenizerJson.load(file);

        assertEquals(original.vocabSize(), loaded.vocabSize());
        assertEquals(original.endOfTextId(), loaded.endOfTextId());
        assertEquals(BpeTrainerTest.merges(original), BpeTrainerTest.merges(loaded));
        for (int id = 0; id < original.vocabSize(); id++) {
            assertEquals(original.tokenString(id), loaded.tokenString(id));
        }
        Random random = new Random(6);
        for (int i = 0; i < 500; i++) {
            String text = TestTexts.randomValidString(random);
            assertArrayEquals(original.encode(text), loaded.encode(text), text);
        }
    }

    @Test
    void writesTheHuggingFaceLayout() throws IOException {
        JsonObject json = json(TINY);
        assertEquals("1.0", json.get("version").getAsString());
        assertEquals(JsonNull.INSTANCE, json.get("normalizer"));
        assertEquals(JsonNull.INSTANCE, json.get("truncation"));

        JsonObject model = json.getAsJsonObject("model");
        assertEquals("BPE", model.get("type").getAsString());
        assertEquals(JsonNull.INSTANCE, model.get("dropout"));
        assertEquals(JsonNull.INSTANCE, model.get("unk_token"));
        assertEquals(false, model.get("byte_fallback").getAsBoolean());
        JsonObject vocab = model.getAsJsonObject("vocab");
        assertEquals(259, vocab.size());
        assertEquals(0, vocab.get("Ā").getAsInt());
        assertEquals(32, vocab.get("Ġ").getAsInt());
        assertEquals(97, vocab.get("a").getAsInt());
        assertEquals(256, vocab.get("aa").getAsInt());
        assertEquals(257, vocab.get("Ġaa").getAsInt());
        assertEquals(258, vocab.get("<|endoftext|>").getAsInt());
        assertEquals(JsonParser.parseString("[\"a a\", \"Ġ aa\"]"), model.get("merges"));

        JsonObject special = json.getAsJsonArray("added_tokens").get(0).getAsJsonObject();
        assertEquals(JsonParser.parseString("{\"id\": 258, \"content\": \"<|endoftext|>\", \"single_word\": false,"
                + " \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}"), special);
        assertEquals(JsonParser.parseString("{\"type\": \"ByteLevel\", \"add_prefix_space\": false,"
                + " \"trim_offsets\": true, \"use_regex\": true}"), json.get("pre_tokenizer"));
        assertEquals("ByteLevel", json.getAsJsonObject("decoder").get("type").getAsString());
        assertEquals("ByteLevel", json.getAsJsonObject("post_processor").get("type").getAsString());
    }

    @Test
    void writesSpecialCharactersUnescaped() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TokenizerJson.write(TINY, out);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("\"<|endoftext|>\": 258"), "special token written escaped");
        assertTrue(text.contains("\"Ġaa\": 257"), "non-ASCII written escaped");
    }

    /**
     * A file as Hugging Face writes it for GPT-2: the byte tokens in GPT-2's order (printable bytes
     * first, so '!' is id 0 and 'Ġ' id 220), merges as arrays, empty affixes, and the special token
     * only among the added tokens.
     */
    @Test
    void readsHuggingFaceStyleFiles() throws IOException {
        JsonObject vocab = new JsonObject();
        int next = 0;
        for (int b = 0; b < 256; b++) {
            if (ByteLevel.toChar(b) == (char) b) {
                vocab.addProperty(String.valueOf((char) b), next++);
            }
        }
        for (int b = 0; b < 256; b++) {
            if (ByteLevel.toChar(b) != (char) b) {
                vocab.addProperty(String.valueOf(ByteLevel.toChar(b)), next++);
            }
        }
        vocab.addProperty("he", 256);
        vocab.addProperty("Ġt", 257);
        vocab.addProperty("Ġthe", 258);
        String json = "{\"version\": \"1.0\", \"added_tokens\": [{\"id\": 259, \"content\": \"<|endoftext|>\","
                + " \"special\": true}], \"normalizer\": null,"
                + " \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true},"
                + " \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null,"
                + " \"continuing_subword_prefix\": \"\", \"end_of_word_suffix\": \"\", \"fuse_unk\": false,"
                + " \"vocab\": " + vocab + ", \"merges\": [[\"h\", \"e\"], [\"Ġ\", \"t\"], [\"Ġt\", \"he\"]]}}";

        BpeTokenizer gpt2Style = TokenizerJson.read(stream(json), "gpt2-style");
        assertEquals(260, gpt2Style.vocabSize());
        assertEquals(259, gpt2Style.endOfTextId());
        assertEquals(220, gpt2Style.id("Ġ").getAsInt());
        assertArrayEquals(new int[] {258}, gpt2Style.encode(" the"));
        assertArrayEquals(new int[] {256, 0, 198}, gpt2Style.encode("he!\n"));
        assertArrayEquals(new int[] {'t' - '!', 256, 220}, gpt2Style.encode("the "));
        assertEquals(" the he!", gpt2Style.decode(new int[] {258, 220, 256, 0}));
    }

    @Test
    void streamsStayOpenForZipEntries() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("tokenizer.json"));
            TokenizerJson.write(TINY, zip);
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("after.txt"));
            zip.write("still open".getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals("tokenizer.json", zip.getNextEntry().getName());
            BpeTokenizer loaded = TokenizerJson.read(zip, "model.zip!/tokenizer.json");
            assertArrayEquals(new int[] {256, 'a', 257, 'a', 257, 'b'}, loaded.encode("aaa aaa aab"));
            assertEquals("after.txt", zip.getNextEntry().getName());
            assertEquals("still open", new String(zip.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void saveReplacesTheFileAndLeavesNothingElse() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "old content");
        TokenizerJson.save(TINY, file);
        assertEquals(259, TokenizerJson.load(file).vocabSize());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
        assertThrows(IOException.class, () -> TokenizerJson.save(TINY, dir.resolve("missing/tokenizer.json")));
    }

    @Test
    void rejectsInvalidJson() {
        assertEquals("bad.json: not valid JSON", failure("{\"model\": {", "bad.json").substring(0, 24));
        assertTrue(failure("{} trailing", "x").startsWith("x: not valid JSON"));
        assertTrue(failure("{'single': 'quotes'}", "x").startsWith("x: not valid JSON"));
        assertEquals("x: expected a JSON object at the top level", failure("[1, 2]", "x"));
        assertEquals("x: \"model\" is missing", failure("{}", "x"));
    }

    @Test
    void namesTheFileOnLoad() throws IOException {
        Path file = dir.resolve("broken.json");
        Files.writeString(file, "{");
        IOException e = assertThrows(IOException.class, () -> TokenizerJson.load(file));
        assertTrue(e.getMessage().startsWith(file + ": not valid JSON"), e.getMessage());
    }

    @Test
    void reportsWhatIsWrongWithTheModel() throws IOException {
        assertEquals("t.json: \"model.merges\" is missing", failure(json -> model(json).remove("merges")));
        assertEquals("t.json: merge 1 'Ġa a' refers to unknown token 'Ġa'",
                failure(json -> model(json).add("merges", array("a a", "Ġa a"))));
        assertEquals("t.json: merge 2 'Ġ a' produces 'Ġa', which is not in the vocab",
                failure(json -> model(json).add("merges", array("a a", "Ġ aa", "Ġ a"))));
        assertEquals("t.json: merge 1 42 is neither \"left right\" nor [\"left\", \"right\"]",
                failure(json -> model(json).getAsJsonArray("merges").set(1, new JsonPrimitive(42))));
        assertEquals("t.json: vocab has no token 'Ā' for byte 0x00", failure(json -> {
            vocab(json).remove("Ā");
            vocab(json).addProperty("zz", 0);
        }));
        assertEquals("t.json: token '<|endoftext|>' has id 258, but ids must run from 0 to 257 without gaps",
                failure(json -> vocab(json).remove("aa")));
        assertEquals("t.json: tokens 'aa' and 'zz' both have id 256",
                failure(json -> vocab(json).addProperty("zz", 256)));
        assertEquals("t.json: id of vocab token 'aa' must be an integer, got 256.5",
                failure(json -> vocab(json).addProperty("aa", 256.5)));
        assertEquals("t.json: vocab token 259: 'a b' is not a byte-level token: character U+0020 at index 1 is outside the alphabet",
                failure(json -> vocab(json).addProperty("a b", 259)));
    }

    @Test
    void reportsProblemsWithTheSpecialToken() throws IOException {
        assertEquals("t.json: special token <|endoftext|> is missing", failure(json -> {
            vocab(json).remove("<|endoftext|>");
            json.add("added_tokens", new JsonArray());
        }));
        assertEquals("t.json: special token <|endoftext|> has id 3 in added_tokens but 258 in the vocab",
                failure(json -> added(json).addProperty("id", 3)));
        assertEquals("t.json: added token '<pad>' (id 258) is not supported; only <|endoftext|> is",
                failure(json -> added(json).addProperty("content", "<pad>")));
    }

    @Test
    void rejectsSettingsThatWouldEncodeDifferently() throws IOException {
        assertEquals("t.json: normalizer of type \"NFC\" is not supported; expected null",
                failure(json -> json.add("normalizer", JsonParser.parseString("{\"type\": \"NFC\"}"))));
        assertEquals("t.json: pre_tokenizer.add_prefix_space true is not supported",
                failure(json -> json.getAsJsonObject("pre_tokenizer").addProperty("add_prefix_space", true)));
        assertEquals("t.json: pre_tokenizer of type \"Whitespace\" is not supported; expected ByteLevel",
                failure(json -> json.add("pre_tokenizer", JsonParser.parseString("{\"type\": \"Whitespace\"}"))));
        assertEquals("t.json: pre_tokenizer null is not supported; expected ByteLevel",
                failure(json -> json.add("pre_tokenizer", JsonNull.INSTANCE)));
        assertEquals("t.json: model type 'WordPiece' is not supported; expected BPE",
                failure(json -> model(json).addProperty("type", "WordPiece")));
        assertEquals("t.json: model.ignore_merges true is not supported",
                failure(json -> model(json).addProperty("ignore_merges", true)));
        assertEquals("t.json: model.end_of_word_suffix '</w>' is not supported",
                failure(json -> model(json).addProperty("end_of_word_suffix", "</w>")));
        assertEquals("t.json: model.dropout must be null; dropout makes encoding random",
                failure(json -> model(json).addProperty("dropout", 0.1)));
    }

    private static String failure(Consumer<JsonObject> damage) throws IOException {
        JsonObject json = json(TINY);
        damage.accept(json);
        return failure(json.toString(), "t.json");
    }

    private static String failure(String json, String source) {
        return assertThrows(IOException.class, () -> TokenizerJson.read(stream(json), source)).getMessage();
    }

    private static JsonObject json(BpeTokenizer tokenizer) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TokenizerJson.write(tokenizer, out);
        return JsonParser.parseString(out.toString(StandardCharsets.UTF_8)).getAsJsonObject();
    }

    private static JsonObject model(JsonObject json) {
        return json.getAsJsonObject("model");
    }

    private static JsonObject vocab(JsonObject json) {
        return model(json).getAsJsonObject("vocab");
    }

    private static JsonObject added(JsonObject json) {
        return json.getAsJsonArray("added_tokens").get(0).getAsJsonObject();
    }

    private static JsonArray array(String... merges) {
        JsonArray array = new JsonArray();
        for (String merge : merges) {
            array.add(merge);
        }
        return array;
    }

    private static ByteArrayInputStream stream(String json) {
        return new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8));
    }
}

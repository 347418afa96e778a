package dev.lazyattention.tokenizer;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import com.google.gson.stream.MalformedJsonException;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Saves and loads {@link BpeTokenizer}s as Hugging Face {@code tokenizer.json} files, so that the
 * {@code tokenizers} library, {@code transformers}' {@code GPT2TokenizerFast} and similar tools can use them.
 *
 * <p>Files are written in the GPT-2 layout: a {@code BPE} model with the vocabulary in id order and
 * the merges as {@code "left right"} strings, a {@code ByteLevel} pre-tokenizer, post-processor and
 * decoder, no normalizer, and {@value BpeTokenizer#END_OF_TEXT} as a special added token.
 *
 * <p>Reading accepts any file that encodes the same way: merges may also be two-element arrays (the
 * newer format), ids may come in any order as long as they run from 0 without gaps, and settings that
 * cannot matter for a byte-level vocabulary (such as {@code unk_token} or {@code byte_fallback}) are
 * ignored. Anything that would make Hugging Face encode differently, such as a normalizer or a prefix
 * space, is rejected. Every problem is reported as an {@link IOException} whose message starts with
 * the source name and says what is wrong.
 */
public final class TokenizerJson {

    private static final TypeAdapter<JsonElement> JSON = new Gson().getAdapter(JsonElement.class);

    /**
     * Bytes of {@code tokenizer.json} allowed per vocabulary token: its vocab entry and the merge that makes
     * it, JSON-escaped. Byte-level tokens of real vocabularies average under 30 bytes for both (GPT-2's
     * 50,257 tokens take 1.4 MB), so 512 leaves room for long tokens and escapes.
     */
    public static final int BYTES_PER_TOKEN = 512;
    /** Bytes allowed besides the vocabulary and merges: settings, added tokens, whitespace. */
    public static final int FIXED_BYTES = 64 << 10;
    /** Largest file read at all, and largest vocabulary: the limits of a model file's text entries and sizes. */
    public static final long MAX_BYTES = 64L << 20;
    public static final int MAX_TOKENS = 1 << 20;

    private TokenizerJson() {
    }

    /**
     * Writes {@code tokenizer} to {@code file}, replacing it atomically: the JSON goes to a temporary
     * file in the same directory, which is then renamed, so readers never see a half-written file.
     */
    public static void save(BpeTokenizer tokenizer, Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Path temp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                write(tokenizer, Channels.newOutputStream(channel));
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * Writes {@code tokenizer} as UTF-8 JSON to {@code out} and flushes it, leaving it open, so that
     * it can be one entry of a zip stream.
     */
    public static void write(BpeTokenizer tokenizer, OutputStream out) throws IOException {
        Writer writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
        JsonWriter json = new JsonWriter(writer);
        json.setIndent("  ");
        json.setHtmlSafe(false);
        json.setSerializeNulls(true);
        writeTokenizer(json, tokenizer);
        // Flushing reaches through to out; closing would close the caller's stream.
        json.flush();
    }

    /** Reads the tokenizer in {@code file}; error messages name the file. */
    public static BpeTokenizer load(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads a tokenizer from {@code in}, which is left open.
     *
     * @param source names the stream in error messages, e.g. {@code "model.zip!/tokenizer.json"}
     */
    public static BpeTokenizer read(InputStream in, String source) throws IOException {
        return read(in, source, -1);
    }

    /**
     * Reads a tokenizer from {@code in}, which is left open, refusing a file that cannot belong to a model
     * whose {@code config.json} says {@code vocabSize}. Before anything is parsed into memory the file is
     * sized (at most {@link #sizeLimit(int) sizeLimit(vocabSize)} bytes are read) and its tokens are
     * counted by a streaming pass, so that a hostile file is refused in little memory.
     *
     * @param vocabSize the vocabulary size the model expects, or -1 to accept any (up to {@link #MAX_TOKENS})
     * @param source names the stream in error messages, e.g. {@code "model.zip!/tokenizer.json"}
     */
    public static BpeTokenizer read(InputStream in, String source, int vocabSize) throws IOException {
        long limit = vocabSize > 0 ? Math.min(MAX_BYTES, sizeLimit(vocabSize)) : MAX_BYTES;
        byte[] bytes = readAtMost(in, limit, source, vocabSize);
        int tokens = countTokens(bytes, source);
        if (vocabSize > 0 && tokens != vocabSize) {
            throw new IOException(source + ": has " + tokens + " tokens but config.json says vocabSize " + vocabSize);
        }
        if (tokens > MAX_TOKENS) {
            throw new IOException(source + ": has " + tokens + " tokens, more than the " + MAX_TOKENS + " accepted");
        }
        if (bytes.length > sizeLimit(tokens)) {
            throw new IOException(source + ": is " + bytes.length + " bytes, more than the " + sizeLimit(tokens)
                    + " a vocabulary of " + tokens + " tokens needs (" + BYTES_PER_TOKEN + " bytes a token plus "
                    + FIXED_BYTES + ")");
        }
        return new Loader(source, parse(new java.io.ByteArrayInputStream(bytes), source)).tokenizer();
    }

    /** Largest {@code tokenizer.json} accepted for a vocabulary of {@code vocabSize} tokens. */
    public static long sizeLimit(int vocabSize) {
        return FIXED_BYTES + (long) Math.max(vocabSize, 0) * BYTES_PER_TOKEN;
    }

    /** Reads the whole stream, refusing it as soon as it passes {@code limit} bytes. */
    private static byte[] readAtMost(InputStream in, long limit, String source, int vocabSize) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            total += n;
            if (total > limit) {
                throw new IOException(source + ": is larger than " + limit + " bytes, "
                        + (vocabSize > 0 ? "the most a vocabulary of " + vocabSize + " tokens needs (" + BYTES_PER_TOKEN
                                + " bytes a token plus " + FIXED_BYTES + "); refused before parsing"
                                : "the most a tokenizer file may have; refused before parsing"));
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    /**
     * The vocabulary size the file describes, counted by a streaming pass that builds nothing: the entries of
     * {@code model.vocab}, plus {@value BpeTokenizer#END_OF_TEXT} when only {@code added_tokens} has it.
     * Parts of unexpected types are skipped here and reported by the full parse.
     */
    private static int countTokens(byte[] bytes, String source) throws IOException {
        JsonReader reader = new JsonReader(new InputStreamReader(new java.io.ByteArrayInputStream(bytes),
                StandardCharsets.UTF_8));
        reader.setStrictness(Strictness.STRICT);
        int entries = 0;
        boolean vocabHasEnd = false;
        boolean addedHasEnd = false;
        try {
            if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                throw new IOException(source + ": expected a JSON object at the top level");
            }
            reader.beginObject();
            while (reader.hasNext()) {
                String name = reader.nextName();
                if (name.equals("model") && reader.peek() == JsonToken.BEGIN_OBJECT) {
                    reader.beginObject();
                    while (reader.hasNext()) {
                        if (reader.nextName().equals("vocab") && reader.peek() == JsonToken.BEGIN_OBJECT) {
                            entries = 0; // a repeated key replaces the earlier value, as in the full parse
                            vocabHasEnd = false;
                            reader.beginObject();
                            while (reader.hasNext()) {
                                vocabHasEnd |= reader.nextName().equals(BpeTokenizer.END_OF_TEXT);
                                reader.skipValue();
                                entries++;
                            }
                            reader.endObject();
                        } else {
                            reader.skipValue();
                        }
                    }
                    reader.endObject();
                } else if (name.equals("added_tokens") && reader.peek() == JsonToken.BEGIN_ARRAY) {
                    addedHasEnd = false;
                    reader.beginArray();
                    while (reader.hasNext()) {
                        if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                            reader.skipValue();
                            continue;
                        }
                        reader.beginObject();
                        while (reader.hasNext()) {
                            if (reader.nextName().equals("content") && reader.peek() == JsonToken.STRING) {
                                addedHasEnd |= reader.nextString().equals(BpeTokenizer.END_OF_TEXT);
                            } else {
                                reader.skipValue();
                            }
                        }
                        reader.endObject();
                    }
                    reader.endArray();
                } else {
                    reader.skipValue();
                }
            }
            reader.endObject();
        } catch (MalformedJsonException | EOFException | IllegalStateException | NumberFormatException e) {
            throw new IOException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        return entries + (addedHasEnd && !vocabHasEnd ? 1 : 0);
    }

    private static void writeTokenizer(JsonWriter json, BpeTokenizer tokenizer) throws IOException {
        json.beginObject();
        json.name("version").value("1.0");
        json.name("truncation").nullValue();
        json.name("padding").nullValue();
        json.name("added_tokens").beginArray().beginObject()
                .name("id").value(tokenizer.endOfTextId())
                .name("content").value(BpeTokenizer.END_OF_TEXT)
                .name("single_word").value(false)
                .name("lstrip").value(false)
                .name("rstrip").value(false)
                .name("normalized").value(false)
                .name("special").value(true)
                .endObject().endArray();
        json.name("normalizer").nullValue();
        json.name("pre_tokenizer");
        writeByteLevel(json, true);
        json.name("post_processor");
        writeByteLevel(json, false);
        json.name("decoder");
        writeByteLevel(json, true);

        json.name("model").beginObject();
        json.name("type").value("BPE");
        json.name("dropout").nullValue();
        json.name("unk_token").nullValue();
        json.name("continuing_subword_prefix").nullValue();
        json.name("end_of_word_suffix").nullValue();
        json.name("fuse_unk").value(false);
        json.name("byte_fallback").value(false);
        json.name("ignore_merges").value(false);
        json.name("vocab").beginObject();
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            json.name(tokenizer.tokenString(id)).value(id);
        }
        json.endObject();
        json.name("merges").beginArray();
        for (int rank = 0; rank < tokenizer.mergeCount(); rank++) {
            json.value(tokenizer.tokenString(tokenizer.mergeLeft(rank)) + " "
                    + tokenizer.tokenString(tokenizer.mergeRight(rank)));
        }
        json.endArray();
        json.endObject();
        json.endObject();
    }

    private static void writeByteLevel(JsonWriter json, boolean trimOffsets) throws IOException {
        json.beginObject()
                .name("type").value("ByteLevel")
                .name("add_prefix_space").value(false)
                .name("trim_offsets").value(trimOffsets)
                .name("use_regex").value(true)
                .endObject();
    }

    private static JsonObject parse(InputStream in, String source) throws IOException {
        JsonReader reader = new JsonReader(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
        reader.setStrictness(Strictness.STRICT);
        JsonElement root;
        try {
            root = JSON.read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new IOException(source + ": not valid JSON: unexpected content after the top-level value");
            }
        } catch (MalformedJsonException | EOFException | IllegalStateException | NumberFormatException e) {
            throw new IOException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isJsonObject()) {
            throw new IOException(source + ": expected a JSON object at the top level");
        }
        return root.getAsJsonObject();
    }

    /** Checks one parsed file and builds the tokenizer; every complaint names the source. */
    private static final class Loader {
        private final String source;
        private final JsonObject root;
        private final JsonObject model;

        Loader(String source, JsonObject root) throws IOException {
            this.source = source;
            this.root = root;
            this.model = object(root, "model", "model");
            if (model == null) {
                throw invalid("\"model\" is missing");
            }
        }

        BpeTokenizer tokenizer() throws IOException {
            checkSettings();
            Map<String, Integer> vocab = vocab();
            int endOfTextId = endOfTextId(vocab);
            String[] byId = tokensById(vocab);
            byte[][] tokenBytes = tokenBytes(byId, endOfTextId);
            checkByteTokens(vocab);

            JsonArray merges = array(model, "merges", "model.merges");
            if (merges == null) {
                throw invalid("\"model.merges\" is missing");
            }
            int[] left = new int[merges.size()];
            int[] right = new int[merges.size()];
            int[] result = new int[merges.size()];
            for (int rank = 0; rank < merges.size(); rank++) {
                String[] parts = mergeParts(merges.get(rank), rank);
                String shown = parts[0] + " " + parts[1];
                left[rank] = knownToken(vocab, parts[0], rank, shown);
                right[rank] = knownToken(vocab, parts[1], rank, shown);
                Integer joined = vocab.get(parts[0] + parts[1]);
                if (joined == null) {
                    throw invalid(String.format("merge %d '%s' produces '%s%s', which is not in the vocab",
                            rank, shown, parts[0], parts[1]));
                }
                result[rank] = joined;
            }
            try {
                return new BpeTokenizer(tokenBytes, endOfTextId, left, right, result);
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
        }

        private void checkSettings() throws IOException {
            String type = string(model, "type", "model.type");
            if (type != null && !type.equals("BPE")) {
                throw invalid("model type '" + type + "' is not supported; expected BPE");
            }
            JsonElement dropout = model.get("dropout");
            if (dropout != null && !dropout.isJsonNull() && number(dropout, "model.dropout").signum() != 0) {
                throw invalid("model.dropout must be null; dropout makes encoding random");
            }
            for (String affix : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
                String value = string(model, affix, "model." + affix);
                if (value != null && !value.isEmpty()) {
                    throw invalid("model." + affix + " '" + value + "' is not supported");
                }
            }
            if (flag(model, "ignore_merges", "model.ignore_merges", false)) {
                throw invalid("model.ignore_merges true is not supported");
            }
            JsonElement normalizer = root.get("normalizer");
            if (normalizer != null && !normalizer.isJsonNull()) {
                throw invalid("normalizer " + describe(normalizer) + " is not supported; expected null");
            }
            JsonObject preTokenizer = object(root, "pre_tokenizer", "pre_tokenizer");
            if (preTokenizer == null || !"ByteLevel".equals(string(preTokenizer, "type", "pre_tokenizer.type"))) {
                throw invalid("pre_tokenizer " + describe(root.get("pre_tokenizer")) + " is not supported; expected ByteLevel");
            }
            if (flag(preTokenizer, "add_prefix_space", "pre_tokenizer.add_prefix_space", false)) {
                throw invalid("pre_tokenizer.add_prefix_space true is not supported");
            }
            if (!flag(preTokenizer, "use_regex", "pre_tokenizer.use_regex", true)) {
                throw invalid("pre_tokenizer.use_regex false is not supported");
            }
        }

        private Map<String, Integer> vocab() throws IOException {
            JsonObject vocab = object(model, "vocab", "model.vocab");
            if (vocab == null) {
                throw invalid("\"model.vocab\" is missing");
            }
            Map<String, Integer> ids = new HashMap<>(vocab.size() * 2);
            for (Map.Entry<String, JsonElement> entry : vocab.entrySet()) {
                ids.put(entry.getKey(), integer(entry.getValue(), "id of vocab token '" + entry.getKey() + "'"));
            }
            return ids;
        }

        /** Finds the special token in added_tokens or the vocab and adds it to {@code vocab} if only the former has it. */
        private int endOfTextId(Map<String, Integer> vocab) throws IOException {
            Integer fromVocab = vocab.get(BpeTokenizer.END_OF_TEXT);
            Integer fromAdded = null;
            JsonArray added = array(root, "added_tokens", "added_tokens");
            for (int i = 0; added != null && i < added.size(); i++) {
                String where = "added_tokens[" + i + "]";
                if (!added.get(i).isJsonObject()) {
                    throw invalid(where + " must be an object");
                }
                JsonObject token = added.get(i).getAsJsonObject();
                String content = string(token, "content", where + ".content");
                JsonElement idElement = token.get("id");
                if (content == null || idElement == null) {
                    throw invalid(where + " needs \"id\" and \"content\"");
                }
                int id = integer(idElement, where + ".id");
                if (!content.equals(BpeTokenizer.END_OF_TEXT)) {
                    throw invalid(String.format("added token '%s' (id %d) is not supported; only %s is",
                            content, id, BpeTokenizer.END_OF_TEXT));
                }
                fromAdded = id;
            }
            if (fromVocab == null && fromAdded == null) {
                throw invalid("special token " + BpeTokenizer.END_OF_TEXT + " is missing");
            }
            if (fromVocab != null && fromAdded != null && !fromVocab.equals(fromAdded)) {
                throw invalid(String.format("special token %s has id %d in added_tokens but %d in the vocab",
                        BpeTokenizer.END_OF_TEXT, fromAdded, fromVocab));
            }
            int id = fromAdded != null ? fromAdded : fromVocab;
            vocab.put(BpeTokenizer.END_OF_TEXT, id);
            return id;
        }

        private String[] tokensById(Map<String, Integer> vocab) throws IOException {
            String[] byId = new String[vocab.size()];
            for (Map.Entry<String, Integer> entry : vocab.entrySet()) {
                int id = entry.getValue();
                if (id < 0 || id >= byId.length) {
                    throw invalid(String.format("token '%s' has id %d, but ids must run from 0 to %d without gaps",
                            entry.getKey(), id, byId.length - 1));
                }
                if (byId[id] != null) {
                    throw invalid(String.format("tokens '%s' and '%s' both have id %d", byId[id], entry.getKey(), id));
                }
                byId[id] = entry.getKey();
            }
            // n distinct ids in 0..n-1 fill every slot, so there are no gaps left to report.
            return byId;
        }

        private byte[][] tokenBytes(String[] byId, int endOfTextId) throws IOException {
            byte[][] bytes = new byte[byId.length][];
            for (int id = 0; id < byId.length; id++) {
                if (id == endOfTextId) {
                    bytes[id] = BpeTokenizer.END_OF_TEXT.getBytes(StandardCharsets.UTF_8);
                    continue;
                }
                try {
                    bytes[id] = ByteLevel.toBytes(byId[id]);
                } catch (IllegalArgumentException e) {
                    throw invalid("vocab token " + id + ": " + e.getMessage());
                }
            }
            return bytes;
        }

        private void checkByteTokens(Map<String, Integer> vocab) throws IOException {
            for (int b = 0; b < 256; b++) {
                String symbol = String.valueOf(ByteLevel.toChar(b));
                if (!vocab.containsKey(symbol)) {
                    throw invalid(String.format("vocab has no token '%s' for byte 0x%02X", symbol, b));
                }
            }
        }

        private String[] mergeParts(JsonElement merge, int rank) throws IOException {
            if (merge.isJsonArray()) {
                JsonArray pair = merge.getAsJsonArray();
                if (pair.size() == 2 && isString(pair.get(0)) && isString(pair.get(1))) {
                    return new String[] {pair.get(0).getAsString(), pair.get(1).getAsString()};
                }
            } else if (isString(merge)) {
                // Byte-level token strings never contain a space (it is written as 'Ġ'), so the split is unambiguous.
                String text = merge.getAsString();
                int space = text.indexOf(' ');
                if (space > 0 && space < text.length() - 1 && text.indexOf(' ', space + 1) < 0) {
                    return new String[] {text.substring(0, space), text.substring(space + 1)};
                }
            }
            throw invalid("merge " + rank + " " + merge + " is neither \"left right\" nor [\"left\", \"right\"]");
        }

        private int knownToken(Map<String, Integer> vocab, String token, int rank, String shown) throws IOException {
            Integer id = vocab.get(token);
            if (id == null) {
                throw invalid(String.format("merge %d '%s' refers to unknown token '%s'", rank, shown, token));
            }
            return id;
        }

        private JsonObject object(JsonObject parent, String name, String path) throws IOException {
            JsonElement element = parent.get(name);
            if (element == null || element.isJsonNull()) {
                return null;
            }
            if (!element.isJsonObject()) {
                throw invalid("\"" + path + "\" must be an object");
            }
            return element.getAsJsonObject();
        }

        private JsonArray array(JsonObject parent, String name, String path) throws IOException {
            JsonElement element = parent.get(name);
            if (element == null || element.isJsonNull()) {
                return null;
            }
            if (!element.isJsonArray()) {
                throw invalid("\"" + path + "\" must be an array");
            }
            return element.getAsJsonArray();
        }

        private String string(JsonObject parent, String name, String path) throws IOException {
            JsonElement element = parent.get(name);
            if (element == null || element.isJsonNull()) {
                return null;
            }
            if (!isString(element)) {
                throw invalid("\"" + path + "\" must be a string");
            }
            return element.getAsString();
        }

        private boolean flag(JsonObject parent, String name, String path, boolean absent) throws IOException {
            JsonElement element = parent.get(name);
            if (element == null || element.isJsonNull()) {
                return absent;
            }
            if (!element.isJsonPrimitive() || !element.getAsJsonPrimitive().isBoolean()) {
                throw invalid("\"" + path + "\" must be true or false");
            }
            return element.getAsBoolean();
        }

        private BigDecimal number(JsonElement element, String what) throws IOException {
            if (!element.isJsonPrimitive() || !element.getAsJsonPrimitive().isNumber()) {
                throw invalid(what + " must be a number");
            }
            return new BigDecimal(element.getAsString());
        }

        private int integer(JsonElement element, String what) throws IOException {
            try {
                return number(element, what).intValueExact();
            } catch (ArithmeticException e) {
                throw invalid(what + " must be an integer, got " + element);
            }
        }

        private static boolean isString(JsonElement element) {
            return element.isJsonPrimitive() && ((JsonPrimitive) element).isString();
        }

        private static String describe(JsonElement element) {
            if (element == null || element.isJsonNull()) {
                return "null";
            }
            if (element.isJsonObject() && element.getAsJsonObject().has("type")) {
                return "of type " + element.getAsJsonObject().get("type");
            }
            return element.toString();
        }

        private IOException invalid(String what) {
            return new IOException(source + ": " + what);
        }
    }
}

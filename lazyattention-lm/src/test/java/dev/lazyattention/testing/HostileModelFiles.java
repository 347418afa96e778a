package dev.lazyattention.testing;

import dev.lazyattention.modelfile.ModelFileFormat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Hostile variants of a good tiny model file, each with correct checksums (what a careful attacker
 * writes), for tests that feed the same files to every loader. Keys name the case.
 */
public final class HostileModelFiles {

    private HostileModelFiles() {}

    /** The cases, each written into {@code dir}, from the good file {@code good} of a tiny model. */
    public static Map<String, Path> from(Path good, Path dir) throws IOException {
        Map<String, byte[]> entries = entriesOf(good);
        String config = new String(entries.get(ModelFileFormat.CONFIG), StandardCharsets.UTF_8);
        Map<String, Path> cases = new LinkedHashMap<>();

        Map<String, byte[]> bomb = new LinkedHashMap<>(entries);
        bomb.put(ModelFileFormat.TOKENIZER, filled(40 << 20, (byte) ' ')); // 40 MB of spaces in about 40 KB
        cases.put("compression bomb", signed(dir, "bomb.lazylm.zip", bomb));

        Map<String, byte[]> many = new LinkedHashMap<>(entries);
        for (int i = 0; i < 10_000; i++) {
            many.put("extra/" + i + ".txt", new byte[0]);
        }
        cases.put("10,000 entries", signed(dir, "many.lazylm.zip", many));

        Map<String, byte[]> extra = new LinkedHashMap<>(entries);
        extra.put("notes.txt", "hello".getBytes(StandardCharsets.UTF_8));
        cases.put("an unlisted entry", signed(dir, "extra.lazylm.zip", extra));

        String tokenizer = new String(entries.get(ModelFileFormat.TOKENIZER), StandardCharsets.UTF_8);
        Map<String, byte[]> vocab = new LinkedHashMap<>(entries);
        vocab.put(ModelFileFormat.TOKENIZER, tokenizer.replaceFirst("\"vocab\": \\{",
                "\"vocab\": {\"zzzextra\": 999999,").getBytes(StandardCharsets.UTF_8));
        cases.put("a tokenizer larger than the config", signed(dir, "vocab.lazylm.zip", vocab));

        cases.put("a context of 1,048,576", signed(dir, "context.lazylm.zip", withConfig(entries,
                config.replaceAll("\"contextLength\": \\d+", "\"contextLength\": 1048576"))));
        cases.put("1024 layers in the config, 2 in the weights", signed(dir, "layers.lazylm.zip", withConfig(entries,
                config.replaceAll("\"numLayers\": \\d+", "\"numLayers\": 1024"))));

        Map<String, byte[]> nan = new LinkedHashMap<>(entries);
        byte[] params = entries.get(ModelFileFormat.PARAMETERS).clone();
        putFirstEmbeddingFloat(params, TinyModels.tokenizer().vocabSize(), Float.NaN);
        nan.put(ModelFileFormat.PARAMETERS, params);
        cases.put("a NaN weight", signed(dir, "nan.lazylm.zip", nan));

        Map<String, byte[]> manifest = new LinkedHashMap<>(entries);
        manifest.put(ModelFileFormat.MANIFEST, "Component-Name=POSTaggerME\n".getBytes(StandardCharsets.UTF_8));
        cases.put("another component's manifest", signed(dir, "pos.lazylm.zip", manifest));
        return cases;
    }

    /**
     * Hostile variants of a good model folder in Hugging Face's layout (a tiny model exported as float32), each a
     * copy of {@code good} in {@code dir} with one thing changed. Keys name the case.
     */
    public static Map<String, Path> folders(Path good, Path dir) throws IOException {
        Map<String, Path> cases = new LinkedHashMap<>();
        byte[] weights = Files.readAllBytes(good.resolve("model.safetensors"));
        int headerLength = (int) ByteBuffer.wrap(weights, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject header = JsonParser.parseString(new String(weights, 8, headerLength, StandardCharsets.UTF_8))
                .getAsJsonObject();
        byte[] data = Arrays.copyOfRange(weights, 8 + headerLength, weights.length);

        byte[] longHeader = weights.clone();
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        cases.put("a header longer than its bound", folder(good, dir, "long-header", longHeader));

        JsonObject outside = header.deepCopy();
        offsets(outside, "lm_head.weight", data.length - 4, data.length - 4 + bytes(outside, "lm_head.weight"));
        cases.put("offsets outside the file", folder(good, dir, "outside", weights(outside, data)));

        JsonObject overlap = header.deepCopy();
        JsonArray first = overlap.getAsJsonObject("model.norm.weight").getAsJsonArray("data_offsets");
        offsets(overlap, "model.layers.0.input_layernorm.weight", first.get(0).getAsLong(), first.get(1).getAsLong());
        cases.put("overlapping offsets", folder(good, dir, "overlap", weights(overlap, data)));

        JsonObject dtype = header.deepCopy();
        dtype.getAsJsonObject("model.norm.weight").addProperty("dtype", "I64");
        cases.put("an unknown dtype", folder(good, dir, "dtype", weights(dtype, data)));

        JsonObject shape = header.deepCopy();
        JsonArray dims = shape.getAsJsonObject("model.layers.0.self_attn.q_proj.weight").getAsJsonArray("shape");
        long rows = dims.get(0).getAsLong();
        long columns = dims.get(1).getAsLong();
        dims.set(0, new JsonPrimitive(rows / 2));
        dims.set(1, new JsonPrimitive(columns * 2));
        cases.put("a shape that disagrees with config.json", folder(good, dir, "shape", weights(shape, data)));

        byte[] nan = weights.clone();
        long start = header.getAsJsonObject("model.norm.weight").getAsJsonArray("data_offsets").get(0).getAsLong();
        ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) (8 + headerLength + start), Float.NaN);
        cases.put("a NaN weight", folder(good, dir, "nan", nan));

        Path layers = folder(good, dir, "layers", weights);
        String config = Files.readString(layers.resolve("config.json"));
        Files.writeString(layers.resolve("config.json"),
                config.replaceAll("\"num_hidden_layers\": \\d+", "\"num_hidden_layers\": 1024"));
        cases.put("sizes in config.json beyond the file", layers);

        Path tokenizer = folder(good, dir, "tokenizer", weights);
        String json = Files.readString(tokenizer.resolve("tokenizer.json")).strip();
        Files.writeString(tokenizer.resolve("tokenizer.json"),
                json.substring(0, json.length() - 1) + " ".repeat(1 << 20) + "}");
        cases.put("a tokenizer larger than its vocabulary needs", tokenizer);

        Path link = folder(good, dir, "link", weights);
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere")).resolve("model.safetensors");
        Files.move(link.resolve("model.safetensors"), elsewhere, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.createSymbolicLink(link.resolve("model.safetensors"), elsewhere);
        cases.put("a symbolic link out of the folder", link);
        return cases;
    }

    /** A copy of folder {@code good} named {@code name} in {@code dir}, with {@code weights} as its safetensors. */
    private static Path folder(Path good, Path dir, String name, byte[] weights) throws IOException {
        Path copy = Files.createDirectories(dir.resolve(name));
        try (java.util.stream.Stream<Path> files = Files.list(good)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.write(copy.resolve("model.safetensors"), weights);
        return copy;
    }

    private static long bytes(JsonObject header, String tensor) {
        JsonArray offsets = header.getAsJsonObject(tensor).getAsJsonArray("data_offsets");
        return offsets.get(1).getAsLong() - offsets.get(0).getAsLong();
    }

    private static void offsets(JsonObject header, String tensor, long start, long end) {
        JsonArray offsets = new JsonArray();
        offsets.add(start);
        offsets.add(end);
        header.getAsJsonObject(tensor).add("data_offsets", offsets);
    }

    /** A safetensors file of {@code header} and {@code data}. */
    private static byte[] weights(JsonObject header, byte[] data) {
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(data);
        return out.array();
    }

    /** The entries of a zip by name, in file order. */
    public static Map<String, byte[]> entriesOf(Path file) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                out.put(e.getName(), zip.getInputStream(e).readAllBytes());
            }
        }
        return out;
    }

    /** Writes {@code content} as a zip with a fresh {@code checksums.sha256}. */
    public static Path signed(Path dir, String name, Map<String, byte[]> content) throws IOException {
        Map<String, byte[]> copy = new LinkedHashMap<>(content);
        copy.remove(ModelFileFormat.CHECKSUMS);
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file)) {
            ZipOutputStream zip = new ZipOutputStream(out);
            StringBuilder sums = new StringBuilder();
            for (Map.Entry<String, byte[]> e : copy.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
                sums.append(sha256(e.getValue())).append("  ").append(e.getKey()).append('\n');
            }
            zip.putNextEntry(new ZipEntry(ModelFileFormat.CHECKSUMS));
            zip.write(sums.toString().getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
            zip.finish();
        }
        return file;
    }

    private static Map<String, byte[]> withConfig(Map<String, byte[]> entries, String config) {
        Map<String, byte[]> e = new LinkedHashMap<>(entries);
        e.put(ModelFileFormat.CONFIG, config.getBytes(StandardCharsets.UTF_8));
        return e;
    }

    private static byte[] filled(int size, byte value) {
        byte[] b = new byte[size];
        Arrays.fill(b, value);
        return b;
    }

    /** Overwrites the first float of the [vocab, 64] embedding in DJL's parameter format. */
    private static void putFirstEmbeddingFloat(byte[] params, int vocab, float value) {
        ByteBuffer b = ByteBuffer.wrap(params);
        for (int i = 0; i + 40 < params.length; i++) {
            if (b.getInt(i) == 2 && b.getLong(i + 4) == vocab && b.getLong(i + 12) == 64) {
                int data = i + 24 + 2 * b.getInt(i + 20) + 1 + 4; // rank and dims, layout, byte order, length
                ByteOrder order = params[data - 5] == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
                ByteBuffer.wrap(params).order(order).putFloat(data, value);
                return;
            }
        }
        throw new AssertionError("embedding header not found");
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

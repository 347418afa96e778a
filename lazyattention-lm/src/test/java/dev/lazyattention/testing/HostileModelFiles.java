package dev.lazyattention.testing;

import dev.lazyattention.lm.ModelFileFormat;

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

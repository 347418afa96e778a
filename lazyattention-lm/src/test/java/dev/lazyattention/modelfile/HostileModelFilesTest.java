package dev.lazyattention.modelfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.tokenizer.TokenizerJson;
import dev.lazyattention.testing.HostileModelFiles;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.lm.LazyLanguageModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged and hostile model files are refused with a message, without writing or allocating much. */
class HostileModelFilesTest {

    @TempDir
    static Path dir;

    static Path good;
    static Map<String, byte[]> entries;

    @BeforeAll
    static void makeModel() throws IOException {
        good = dir.resolve("good.lazylm.zip");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 3)) {
            lm.save(good);
        }
        entries = ModelFileTest.entriesOf(good);
    }

    @Test
    void aGatedConfigWhoseParametersLackTheGateProjectionIsRefused() throws IOException {
        Map<String, byte[]> softmax = savedEntries(AttentionVariant.SOFTMAX, "softmax.lazylm.zip");
        byte[] params = softmax.get(ModelFileFormat.PARAMETERS);
        ModelFile.checkParameters(params, TinyModels.config(AttentionVariant.SOFTMAX), "direct");
        // Each attention block writes its variant's name; relabelled, the blocks claim to be gated.
        byte[][] names = {utf("softmax"), utf("gated")};
        assertEquals(TinyModels.config(AttentionVariant.SOFTMAX).numLayers(), occurrences(params, names[0]));
        byte[] relabelled = replaceAll(params, names[0], names[1]);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.checkParameters(relabelled,
                TinyModels.config(AttentionVariant.GATED), "direct"));
        assertTrue(e.getMessage().contains("Linear version is 1, expected 4"), e.getMessage()); // mlp_norm came

        byte[] gated = savedEntries(AttentionVariant.GATED, "gated.lazylm.zip").get(ModelFileFormat.PARAMETERS);
        ModelFile.checkParameters(gated, TinyModels.config(AttentionVariant.GATED), "direct");
        ModelFileException other = assertThrows(ModelFileException.class, () -> ModelFile.checkParameters(gated,
                TinyModels.config(AttentionVariant.SOFTMAX), "direct"));
        assertTrue(other.getMessage().contains("attention variant differs from config.json"), other.getMessage());
    }

    private static Map<String, byte[]> savedEntries(AttentionVariant variant, String name) throws IOException {
        Path file = dir.resolve(name);
        try (LazyLanguageModel lm = TinyModels.fresh(variant, 3)) {
            lm.save(file);
        }
        return ModelFileTest.entriesOf(file);
    }

    /** A string as DataOutputStream.writeUTF writes it: two length bytes, then the characters. */
    private static byte[] utf(String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeUTF(text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static int occurrences(byte[] data, byte[] pattern) {
        int count = 0;
        for (int i = 0; i + pattern.length <= data.length; i++) {
            if (Arrays.equals(data, i, i + pattern.length, pattern, 0, pattern.length)) {
                count++;
            }
        }
        return count;
    }

    private static byte[] replaceAll(byte[] data, byte[] pattern, byte[] replacement) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < data.length) {
            if (i + pattern.length <= data.length && Arrays.equals(data, i, i + pattern.length, pattern, 0, pattern.length)) {
                out.write(replacement, 0, replacement.length);
                i += pattern.length;
            } else {
                out.write(data[i++]);
            }
        }
        return out.toByteArray();
    }

    private static ModelFileException refused(Path file) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> LazyLanguageModel.load(file, Device.cpu()));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        return e;
    }

    /** Writes entries with correct checksums (what a careful attacker does). */
    private static Path signed(String name, Map<String, byte[]> content) throws IOException {
        return HostileModelFiles.signed(dir, name, content);
    }

    @Test
    void truncatedAtTenRandomOffsets() throws IOException {
        byte[] whole = Files.readAllBytes(good);
        Random random = new Random(1);
        for (int i = 0; i < 10; i++) {
            int cut = 1 + random.nextInt(whole.length - 1);
            Path file = dir.resolve("cut-" + cut + ".zip");
            Files.write(file, Arrays.copyOf(whole, cut));
            refused(file);
        }
    }

    @Test
    void theChecksumListItselfDamaged() throws IOException {
        Map<String, byte[]> e = new LinkedHashMap<>(entries);
        byte[] sums = e.get(ModelFileFormat.CHECKSUMS).clone();
        sums[3] = (byte) (sums[3] == 'a' ? 'b' : 'a');
        e.put(ModelFileFormat.CHECKSUMS, sums);
        Path file = dir.resolve("sums.zip");
        Files.write(file, ModelFileTest.zip(e));
        assertTrue(refused(file).getMessage().contains("SHA-256 mismatch"));
    }

    @Test
    void pathTraversalAndAbsoluteNamesAreRefusedAndNothingIsWritten() throws IOException {
        for (String name : new String[] {"../config.json", "/etc/lazylm.json", "sub/../../escape.json", "C:\\evil.json"}) {
            Map<String, byte[]> e = new LinkedHashMap<>(entries);
            e.put(name, "{}".getBytes(StandardCharsets.UTF_8));
            ModelFileException x = refused(signed("evil-" + Math.abs(name.hashCode()) + ".zip", e));
            assertTrue(x.getMessage().contains("unexpected entry"), x.getMessage());
        }
        assertTrue(Files.notExists(dir.getParent().resolve("config.json")) && Files.notExists(Path.of("/etc/lazylm.json")));
    }

    @Test
    void extraAndDuplicateEntriesAreRefused() throws IOException {
        Map<String, byte[]> e = new LinkedHashMap<>(entries);
        e.put("notes.txt", "hello".getBytes(StandardCharsets.UTF_8));
        assertTrue(refused(signed("extra.zip", e)).getMessage().contains("unexpected entry"));
    }

    @Test
    void aCompressionBombIsRefusedEarly() throws IOException {
        Map<String, byte[]> e = new LinkedHashMap<>(entries);
        byte[] huge = new byte[40 << 20]; // 40 MB of spaces (under the 64 MB limit) compress to about 40 KB
        Arrays.fill(huge, (byte) ' ');
        e.put(ModelFileFormat.TOKENIZER, huge);
        ModelFileException x = refused(signed("bomb.zip", e));
        assertTrue(x.getMessage().contains("compression bomb"), x.getMessage());
        assertTrue(Files.size(dir.resolve("bomb.zip")) < 2 << 20);
    }

    @Test
    void anEntryDeclaringAHugeSizeIsRefusedBeforeReading() throws IOException {
        byte[] zip = Files.readAllBytes(signed("plain.zip", entries));
        // Patch the central directory's uncompressed size of config.json to 4 GB.
        ByteBuffer b = ByteBuffer.wrap(zip).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 46 < zip.length; i++) {
            if (b.getInt(i) == 0x02014b50) {
                int nameLength = Short.toUnsignedInt(b.getShort(i + 28));
                String name = new String(zip, i + 46, nameLength, StandardCharsets.UTF_8);
                if (name.equals(ModelFileFormat.CONFIG)) {
                    b.putInt(i + 24, 0xFFFFFFF0);
                }
            }
        }
        Path file = dir.resolve("liar.zip");
        Files.write(file, zip);
        ModelFileException x = refused(file);
        assertTrue(x.getMessage().contains("declares") || x.getMessage().contains("not a readable zip"), x.getMessage());
    }

    @Test
    void aManifestOfAnotherComponentIsRefused() throws IOException {
        Map<String, byte[]> e = new LinkedHashMap<>(entries);
        String manifest = new String(e.get(ModelFileFormat.MANIFEST), StandardCharsets.ISO_8859_1)
                .replace("Component-Name=LazyAttentionModel", "Component-Name=POSTaggerME");
        e.put(ModelFileFormat.MANIFEST, manifest.getBytes(StandardCharsets.ISO_8859_1));
        ModelFileException x = refused(signed("pos.zip", e));
        assertTrue(x.getMessage().contains("names component POSTaggerME"), x.getMessage());
    }

    @Test
    void absurdConfigurationsAreRefusedWithoutAllocating() throws IOException {
        String config = new String(entries.get(ModelFileFormat.CONFIG), StandardCharsets.UTF_8);
        Map<String, byte[]> billion = new LinkedHashMap<>(entries);
        billion.put(ModelFileFormat.CONFIG, config.replaceAll("\"numLayers\": \\d+", "\"numLayers\": 1000000000")
                .getBytes(StandardCharsets.UTF_8));
        assertTrue(refused(signed("billion.zip", billion)).getMessage()
                .contains("numLayers must be <= 1024, got 1000000000"));

        // Within every per-field limit but describing a trillion parameters: the small file cannot hold them.
        Map<String, byte[]> huge = new LinkedHashMap<>(entries);
        huge.put(ModelFileFormat.CONFIG, config.replaceAll("\"hiddenSize\": \\d+", "\"hiddenSize\": 1048576")
                .replaceAll("\"vocabSize\": \\d+", "\"vocabSize\": 1048576").replaceAll("\"mlpHiddenSize\": \\d+",
                        "\"mlpHiddenSize\": 1048576").getBytes(StandardCharsets.UTF_8));
        long heapBefore = usedHeap();
        ModelFileException x = refused(signed("trillion.zip", huge));
        assertTrue(usedHeap() - heapBefore < 256L << 20, "refused without allocating the model");
        assertTrue(x.getMessage().contains("lazylm-0000.params") || x.getMessage().contains("tokenizer.json"),
                x.getMessage());
    }

    @Test
    void aParameterHeaderClaimingGigabytesIsRefusedBeforeDjlReadsIt() throws IOException {
        byte[] params = entries.get(ModelFileFormat.PARAMETERS).clone();
        // The embedding's byte length follows its shape [V, C] and the byte-order mark: claim 2 GB.
        int v = TinyModels.tokenizer().vocabSize();
        ByteBuffer b = ByteBuffer.wrap(params);
        int at = -1;
        for (int i = 0; i + 40 < params.length && at < 0; i++) {
            if (b.getInt(i) == 2 && b.getLong(i + 4) == v && b.getLong(i + 12) == 64) {
                int layout = b.getInt(i + 20);
                at = i + 24 + 2 * layout + 1; // rank and dims, layout length and chars, byte order
            }
        }
        assertTrue(at > 0, "found the embedding header");
        b.putInt(at, Integer.MAX_VALUE);
        Map<String, byte[]> e = new LinkedHashMap<>(entries);
        e.put(ModelFileFormat.PARAMETERS, params);
        ModelFileException x = refused(signed("claims.zip", e));
        assertEquals(ModelFileFormat.PARAMETERS, x.entry());
        assertTrue(x.getMessage().contains("declares 2147483647 bytes"), x.getMessage());
    }

    /** The log-probability of a short fixed sequence: equal for equal weights. */
    private static double logProbability(LazyLanguageModel lm) {
        int[] tokens = {lm.tokenizer().endOfTextId(), 5, 9, 2, 7};
        return new SequenceScorer(lm, ScoringOptions.defaults(lm.config().contextLength()))
                .score(new ScoringRequest(tokens, 1)).logProbability();
    }

    @Test
    void streamsAreCheckedTheSameWay() throws IOException {
        byte[] whole = Files.readAllBytes(good);
        byte[] cut = Arrays.copyOf(whole, whole.length / 2);
        ModelFileException e = assertThrows(ModelFileException.class,
                () -> LazyLanguageModel.load(new ByteArrayInputStream(cut), "upload #7", Device.cpu()));
        assertTrue(e.getMessage().startsWith("upload #7"), e.getMessage());
        try (LazyLanguageModel fromStream = LazyLanguageModel.load(new ByteArrayInputStream(whole), "upload #8", Device.cpu());
                LazyLanguageModel fromFile = LazyLanguageModel.load(good, Device.cpu())) {
            assertEquals(fromFile.config(), fromStream.config(), "the whole stream is the saved model");
            assertEquals(fromFile.parameterCount(), fromStream.parameterCount());
            assertEquals(logProbability(fromFile), logProbability(fromStream), 0.0, "the same weights");
        }
        new ByteArrayOutputStream().close();
    }

    // ---------------------------------------------------------------- limits the file sets

    private static String configText() {
        return new String(entries.get(ModelFileFormat.CONFIG), StandardCharsets.UTF_8);
    }

    private static Map<String, byte[]> withConfig(String config) {
        Map<String, byte[]> e = new LinkedHashMap<>(entries);
        e.put(ModelFileFormat.CONFIG, config.getBytes(StandardCharsets.UTF_8));
        return e;
    }

    @Test
    void aContextBeyondThePositionsOfTheBlockIsRefusedWithTheBound() throws IOException {
        String config = configText();
        ModelFileException x = refused(signed("million.zip", withConfig(
                config.replaceAll("\"contextLength\": \\d+", "\"contextLength\": 1048576"))));
        assertEquals(ModelFileFormat.CONFIG, x.entry());
        assertTrue(x.getMessage().contains("contextLength must be <= 8192, got 1048576"), x.getMessage());
        x = refused(signed("far-bias.zip", withConfig(
                config.replaceAll("\"biasLength\": \\d+", "\"biasLength\": 8193"))));
        assertTrue(x.getMessage().contains("biasLength must be <= 8192, got 8193"), x.getMessage());

        // The bound itself is accepted: the same weights with a context of 8192 load.
        try (LazyLanguageModel lm = LazyLanguageModel.load(signed("context-8192.zip", withConfig(
                config.replaceAll("\"contextLength\": \\d+", "\"contextLength\": 8192"))), Device.cpu())) {
            assertEquals(8192, lm.config().contextLength());
        }
        // And so are the presets.
        for (String preset : new String[] {"tiny", "mini", "small", "base"}) {
            LmConfig c = LmConfig.preset(preset);
            assertEquals(c, LmConfig.fromJson(c.toJson(), preset));
        }
        assertEquals(1024, LmConfig.preset("base").contextLength());
    }

    /** Position of the first float of the embedding's data. */
    private static int embeddingData(byte[] params) {
        int v = TinyModels.tokenizer().vocabSize();
        ByteBuffer b = ByteBuffer.wrap(params);
        for (int i = 0; i + 40 < params.length; i++) {
            if (b.getInt(i) == 2 && b.getLong(i + 4) == v && b.getLong(i + 12) == 64) {
                int layout = b.getInt(i + 20);
                return i + 24 + 2 * layout + 1 + 4; // rank and dims, layout, byte order, byte length
            }
        }
        throw new AssertionError("embedding header not found");
    }

    /** Writes {@code value} as the array at {@code data} stores its floats (its byte-order mark precedes the length). */
    private static void putFloat(byte[] params, int data, int index, float value) {
        java.nio.ByteOrder order = params[data - 5] == '>' ? java.nio.ByteOrder.BIG_ENDIAN : java.nio.ByteOrder.LITTLE_ENDIAN;
        ByteBuffer.wrap(params).order(order).putFloat(data + 4 * index, value);
    }

    @Test
    void nanAndInfiniteWeightsAreRefusedNamingTheParameter() throws IOException {
        // NaN in layer 1's tau: a fresh model's tau is four -1s; find the second such run.
        byte[] params = entries.get(ModelFileFormat.PARAMETERS).clone();
        int found = 0;
        int tau = -1;
        for (int i = 5; i + 16 <= params.length && tau < 0; i++) {
            if (ByteBuffer.wrap(params).getInt(i - 4) == 16) {
                java.nio.ByteOrder order = params[i - 5] == '>' ? java.nio.ByteOrder.BIG_ENDIAN
                        : java.nio.ByteOrder.LITTLE_ENDIAN;
                ByteBuffer f = ByteBuffer.wrap(params).order(order);
                if (f.getFloat(i) == -1f && f.getFloat(i + 4) == -1f && f.getFloat(i + 8) == -1f
                        && f.getFloat(i + 12) == -1f && ++found == 2) {
                    tau = i;
                }
            }
        }
        assertTrue(tau > 0, "found layer 1's tau");
        putFloat(params, tau, 2, Float.NaN);
        Map<String, byte[]> e = new LinkedHashMap<>(entries);
        e.put(ModelFileFormat.PARAMETERS, params);
        ModelFileException x = refused(signed("nan.zip", e));
        assertEquals(ModelFileFormat.PARAMETERS, x.entry());
        assertTrue(x.getMessage().contains("parameter layer1_attention_tau holds NaN at index 2"), x.getMessage());
        // The check every loader shares (DJL's block factory, CoreNLP and OpenNLP call it too).
        ModelFileException direct = assertThrows(ModelFileException.class,
                () -> ModelFile.checkParameters(params, TinyModels.config(AttentionVariant.LAZY), "direct"));
        assertTrue(direct.getMessage().startsWith("direct [lazylm-0000.params]: parameter layer1_attention_tau"),
                direct.getMessage());

        byte[] infinite = entries.get(ModelFileFormat.PARAMETERS).clone();
        putFloat(infinite, embeddingData(infinite), 70, Float.NEGATIVE_INFINITY);
        e.put(ModelFileFormat.PARAMETERS, infinite);
        x = refused(signed("inf.zip", e));
        assertTrue(x.getMessage().contains("parameter embedding holds -Infinity at index 70"), x.getMessage());
    }

    /** About {@code bytes} of a tokenizer.json whose vocab holds random 24-letter tokens, valid JSON. */
    static byte[] hugeTokenizer(int bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes + 1024);
        byte[] head = "{\"version\": \"1.0\", \"model\": {\"type\": \"BPE\", \"vocab\": {"
                .getBytes(StandardCharsets.UTF_8);
        out.write(head, 0, head.length);
        Random random = new Random(5);
        byte[] entry = new byte[40];
        for (int id = 0; out.size() < bytes; id++) {
            int n = 0;
            if (id > 0) {
                entry[n++] = ',';
            }
            entry[n++] = '"';
            for (int k = 0; k < 24; k++) {
                entry[n++] = (byte) ('a' + random.nextInt(26));
            }
            entry[n++] = '"';
            entry[n++] = ':';
            byte[] number = Integer.toString(id).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(number, 0, entry, n, number.length);
            out.write(entry, 0, n + number.length);
        }
        byte[] tail = "}, \"merges\": []}}".getBytes(StandardCharsets.UTF_8);
        out.write(tail, 0, tail.length);
        return out.toByteArray();
    }

    @Test
    @Tag("slow") // a child JVM with a small heap: runs under -Pfull
    void aSixtyMegabyteTokenizerIsRefusedBeforeItIsParsed() throws Exception {
        byte[] huge = hugeTokenizer(60 << 20);
        Map<String, byte[]> e = new LinkedHashMap<>(entries);
        e.put(ModelFileFormat.TOKENIZER, huge);
        Path file = signed("huge-tokenizer.zip", e);
        long heapBefore = usedHeap();
        ModelFileException x = refused(file);
        assertTrue(usedHeap() - heapBefore < 64L << 20, "refused without parsing");
        assertEquals(ModelFileFormat.TOKENIZER, x.entry());
        int vocab = TinyModels.tokenizer().vocabSize();
        assertTrue(x.getMessage().contains("is larger than " + TokenizerJson.sizeLimit(vocab) + " bytes, the most a vocabulary of "
                + vocab + " tokens needs"), x.getMessage());
        assertTrue(x.getMessage().contains("refused before parsing"), x.getMessage());

        // Without a config to compare with, the streaming count refuses it in a heap far smaller than its tree.
        Path json = dir.resolve("huge-tokenizer.json");
        Files.write(json, huge);
        Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), TokenizerChild.class.getName(), json.toString())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, child.exitValue(), output);
        assertTrue(output.contains("more than the 1048576 accepted") && !output.contains("OutOfMemoryError"), output);
    }

    /** Loads the tokenizer named by its argument and prints why it was refused. */
    public static final class TokenizerChild {
        public static void main(String[] args) {
            try {
                TokenizerJson.load(Path.of(args[0]));
                System.out.println("accepted");
            } catch (IOException | OutOfMemoryError e) {
                System.out.println(e);
            }
        }
    }

    @Test
    void aVocabularyOfAnotherSizeIsRefusedBeforeTheRestIsParsed() throws IOException {
        String tokenizer = new String(entries.get(ModelFileFormat.TOKENIZER), StandardCharsets.UTF_8);
        int vocab = TinyModels.tokenizer().vocabSize();
        // One token too many, and merges that the full parse would complain about: the count comes first.
        String counted = tokenizer.replaceFirst("\"vocab\": \\{", "\"vocab\": {\"zzzextra\": " + vocab + ",")
                .replaceFirst("\"merges\": \\[", "\"merges\": [5,");
        assertTrue(!counted.equals(tokenizer));
        Map<String, byte[]> e = new LinkedHashMap<>(entries);
        e.put(ModelFileFormat.TOKENIZER, counted.getBytes(StandardCharsets.UTF_8));
        ModelFileException x = refused(signed("vocab.zip", e));
        assertEquals(ModelFileFormat.TOKENIZER, x.entry());
        assertTrue(x.getMessage().contains("has " + (vocab + 1) + " tokens but config.json says vocabSize " + vocab),
                x.getMessage());
    }

    @Test
    void aLayerCountTheWeightsDoNotHoldIsRefusedAsSuch() throws IOException {
        String config = configText();
        ModelFileException x = refused(signed("layers-1024.zip", withConfig(
                config.replaceAll("\"numLayers\": \\d+", "\"numLayers\": 1024"))));
        assertEquals(ModelFileFormat.PARAMETERS, x.entry());
        assertTrue(x.getMessage().contains("config.json says numLayers 1024 but lazylm-0000.params holds 2 layers"),
                x.getMessage());
        x = refused(signed("layers-1.zip", withConfig(config.replaceAll("\"numLayers\": \\d+", "\"numLayers\": 1"))));
        assertTrue(x.getMessage().contains("config.json says numLayers 1 but lazylm-0000.params holds 2 layers"),
                x.getMessage());
    }

    private static long usedHeap() {
        System.gc();
        return Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    }
}

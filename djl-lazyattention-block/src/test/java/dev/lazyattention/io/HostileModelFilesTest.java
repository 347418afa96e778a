package dev.lazyattention.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.model.LazyLanguageModel;
import dev.lazyattention.testing.TinyModels;
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
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
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

    private static ModelFileException refused(Path file) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> LazyLanguageModel.load(file, Device.cpu()));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        return e;
    }

    /** Writes entries with correct checksums (what a careful attacker does). */
    private static Path signed(String name, Map<String, byte[]> content) throws IOException {
        Map<String, byte[]> copy = new LinkedHashMap<>(content);
        copy.remove(ModelFileFormat.CHECKSUMS);
        Path file = dir.resolve(name);
        try (var out = Files.newOutputStream(file)) {
            ZipOutputStream zip = new ZipOutputStream(out);
            StringBuilder sums = new StringBuilder();
            for (Map.Entry<String, byte[]> e : copy.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
                sums.append(ModelEntries.sha256(e.getValue())).append("  ").append(e.getKey()).append('\n');
            }
            zip.putNextEntry(new ZipEntry(ModelFileFormat.CHECKSUMS));
            zip.write(sums.toString().getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
            zip.finish();
        }
        return file;
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
                .contains("numLayers = 1000000000 is outside the accepted range"));

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

    @Test
    void streamsAreCheckedTheSameWay() throws IOException {
        byte[] whole = Files.readAllBytes(good);
        byte[] cut = Arrays.copyOf(whole, whole.length / 2);
        ModelFileException e = assertThrows(ModelFileException.class,
                () -> LazyLanguageModel.load(new ByteArrayInputStream(cut), "upload #7", Device.cpu()));
        assertTrue(e.getMessage().startsWith("upload #7"), e.getMessage());
        try (LazyLanguageModel lm = LazyLanguageModel.load(new ByteArrayInputStream(whole), "upload #8", Device.cpu())) {
            assertTrue(lm.parameterCount() > 0);
        }
        new ByteArrayOutputStream().close();
    }

    private static long usedHeap() {
        System.gc();
        return Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    }
}

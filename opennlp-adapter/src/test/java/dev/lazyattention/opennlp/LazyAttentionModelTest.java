package dev.lazyattention.opennlp;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.modelfile.ModelEntries;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelFileException;
import dev.lazyattention.modelfile.ModelFileFormat;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.TinyModels;
import opennlp.tools.util.InvalidFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LazyAttentionModelTest {

    private static final String TEXT = "The lazy fox sees the dog near the river.";

    @TempDir
    Path dir;

    @Test
    void loadsTheSameEntriesFromFilePathStreamAndUrl() throws IOException {
        Path file = TestModels.trainedFile();
        Map<String, byte[]> expected = ZipFiles.read(file);
        String language = TestModels.trainedByBlock().language();
        LazyAttentionModel fromStream;
        try (InputStream in = Files.newInputStream(file)) {
            fromStream = new LazyAttentionModel(in);
        }
        URL url = file.toUri().toURL();
        for (LazyAttentionModel model : List.of(new LazyAttentionModel(file), new LazyAttentionModel(file.toFile()),
                fromStream, new LazyAttentionModel(url))) {
            try (model) {
                assertEquals(LazyAttentionModel.COMPONENT_NAME, model.getManifestProperty("Component-Name"));
                assertEquals(language, model.getLanguage());
                assertInstanceOf(Properties.class, model.getArtifact(ModelFileFormat.MANIFEST));
                ModelEntries entries = model.entries();
                assertEquals(expected.keySet().size() - 1, entries.names().size());
                for (String name : entries.names()) {
                    assertArrayEquals(expected.get(name), entries.get(name), name);
                }
                assertArrayEquals(expected.get(ModelFileFormat.CHECKSUMS), model.getArtifact(ModelFileFormat.CHECKSUMS));
            }
        }
    }

    @Test
    void serializeWritesTheExactEntriesThatTheBlockLoadsAndVerifies() throws IOException {
        Path file = TestModels.trainedFile();
        Path serialized = dir.resolve("serialized.lazylm.zip");
        Path saved = dir.resolve("saved.lazylm.zip");
        try (LazyAttentionModel model = new LazyAttentionModel(file)) {
            model.serialize(serialized);
            model.save(saved);
        }
        Map<String, byte[]> original = ZipFiles.read(file);
        for (Path copy : List.of(serialized, saved)) {
            Map<String, byte[]> written = ZipFiles.read(copy);
            assertEquals(original.keySet(), written.keySet());
            for (String name : original.keySet()) {
                assertArrayEquals(original.get(name), written.get(name), name);
            }
            try (LazyLanguageModel back = LazyLanguageModel.load(copy, Device.cpu())) {
                assertEquals(TestModels.referenceLogProbability(TestModels.trainedByBlock(), TEXT),
                        TestModels.referenceLogProbability(back, TEXT), 1e-9);
            }
        }
    }

    @Test
    void aModelInMemoryWritesAFileThatEveryReaderAccepts() throws IOException {
        Path out = dir.resolve("fresh.lazylm.zip");
        LazyLanguageModel fresh = TinyModels.fresh(AttentionVariant.SOFTMAX, 11);
        double expected = TestModels.referenceLogProbability(fresh, TEXT);
        try (LazyAttentionModel model = new LazyAttentionModel(fresh, "de")) {
            assertTrue(fresh.isClosed(), "the model took the language model over: its bytes are the only copy");
            assertEquals("de", model.getLanguage());
            LazyLanguageModel live = model.languageModel();
            assertNotSame(fresh, live);
            assertEquals("de", live.language());
            assertEquals(expected, TestModels.referenceLogProbability(live, TEXT), 1e-9, "built from the bytes");
            model.serialize(out);
        }
        try (LazyLanguageModel back = LazyLanguageModel.load(out, Device.cpu())) {
            assertEquals("de", back.language());
            assertEquals(expected, TestModels.referenceLogProbability(back, TEXT), 1e-9);
        }
        try (LazyAttentionModel again = new LazyAttentionModel(out)) {
            assertEquals("de", again.getLanguage());
        }
    }

    @Test
    void aModelInMemoryWithABadLanguageIsRefusedAndLeftOpen() throws IOException {
        try (LazyLanguageModel fresh = TinyModels.fresh(AttentionVariant.SOFTMAX, 12)) {
            assertThrows(IllegalArgumentException.class, () -> new LazyAttentionModel(fresh, "en\nLanguage=fr"));
            assertFalse(fresh.isClosed(), "nothing was taken over");
            try (LazyAttentionModel model = new LazyAttentionModel(fresh)) {
                assertEquals("und", model.getLanguage(), "without a language: the model's own");
            }
        }
    }

    @Test
    void anEntryWhoseBytesChangedIsRefusedByItsChecksum() throws IOException {
        Map<String, byte[]> entries = ZipFiles.read(TestModels.trainedFile());
        byte[] parameters = entries.get(ModelFileFormat.PARAMETERS).clone();
        parameters[parameters.length / 2] ^= 0x10;
        entries.put(ModelFileFormat.PARAMETERS, parameters); // the zip is intact, checksums.sha256 is the old one
        Path bad = dir.resolve("flipped.lazylm.zip");
        ZipFiles.write(bad, entries);

        InvalidFormatException e = assertThrows(InvalidFormatException.class, () -> new LazyAttentionModel(bad));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("[" + ModelFileFormat.PARAMETERS + "]"), e.getMessage());
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());

        try (InputStream in = Files.newInputStream(bad)) {
            InvalidFormatException fromStream = assertThrows(InvalidFormatException.class, () -> new LazyAttentionModel(in));
            assertTrue(fromStream.getMessage().startsWith("model input stream [" + ModelFileFormat.PARAMETERS + "]"),
                    fromStream.getMessage());
        }
    }

    @Test
    void aDamagedOrTruncatedZipIsRefusedNamingTheFile() throws IOException {
        byte[] bytes = Files.readAllBytes(TestModels.trainedFile());
        byte[] damaged = bytes.clone();
        for (int i = bytes.length / 3; i < bytes.length / 3 + 64; i++) {
            damaged[i] ^= 0x5A;
        }
        Path damagedFile = dir.resolve("damaged.lazylm.zip");
        Files.write(damagedFile, damaged);
        InvalidFormatException e = assertThrows(InvalidFormatException.class, () -> new LazyAttentionModel(damagedFile));
        assertTrue(e.getMessage().startsWith(damagedFile.toString()), e.getMessage());

        Path truncated = dir.resolve("truncated.lazylm.zip");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        InvalidFormatException t = assertThrows(InvalidFormatException.class, () -> new LazyAttentionModel(truncated));
        assertTrue(t.getMessage().startsWith(truncated.toString()) && t.getMessage().contains("not a readable zip"),
                t.getMessage());
    }

    @Test
    void foreignFilesAreRefusedNamingTheProblem() throws IOException {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "just some text, not a model");
        assertTrue(assertThrows(InvalidFormatException.class, () -> new LazyAttentionModel(text)).getMessage()
                .contains("not a readable zip"));

        Path other = dir.resolve("other.zip");
        ZipFiles.write(other, Map.of("readme.txt", "hello".getBytes(StandardCharsets.UTF_8)));
        String message = assertThrows(InvalidFormatException.class, () -> new LazyAttentionModel(other)).getMessage();
        assertTrue(message.contains("[readme.txt]") && message.contains("unexpected entry"), message);

        Map<String, byte[]> extended = new LinkedHashMap<>(ZipFiles.read(TestModels.trainedFile()));
        extended.put("extra.bin", new byte[] {1, 2, 3});
        Path withExtra = dir.resolve("extra.lazylm.zip");
        ZipFiles.write(withExtra, extended);
        message = assertThrows(InvalidFormatException.class, () -> new LazyAttentionModel(withExtra)).getMessage();
        assertTrue(message.contains("[extra.bin]"), message);

        assertThrows(InvalidFormatException.class, () -> new LazyAttentionModel(new ByteArrayInputStream(new byte[0])));
    }

    @Test
    void aModelOfAnotherComponentIsRefusedWithTheLibrarysMessage() throws IOException {
        ModelEntries entries = ModelFile.read(TestModels.trainedFile());
        Map<String, byte[]> changed = new LinkedHashMap<>();
        for (String name : entries.names()) {
            changed.put(name, entries.get(name));
        }
        String manifest = entries.text(ModelFileFormat.MANIFEST);
        assertTrue(manifest.contains("Component-Name=LazyAttentionModel"));
        changed.put(ModelFileFormat.MANIFEST, manifest.replace("Component-Name=LazyAttentionModel",
                "Component-Name=POSTaggerME").getBytes(StandardCharsets.ISO_8859_1));
        Path other = dir.resolve("pos.lazylm.zip");
        ModelFile.write(other, ModelEntries.of(changed)); // valid checksums: only OpenNLP's check can object

        // Every loader runs the same content checks before OpenNLP's BaseModel reads the file, so OpenNLP
        // refuses it with the library's message, naming the file and the entry.
        InvalidFormatException e = assertThrows(InvalidFormatException.class, () -> new LazyAttentionModel(other));
        assertTrue(e.getMessage().startsWith(other + " [" + ModelFileFormat.MANIFEST + "]"), e.getMessage());
        assertTrue(e.getMessage().contains("names component POSTaggerME"), e.getMessage());
        ModelFileException djl = assertThrows(ModelFileException.class, () -> LazyLanguageModel.load(other, Device.cpu()));
        assertTrue(djl.getMessage().contains("names component POSTaggerME"), djl.getMessage());
    }

    @Test
    void artifactVerificationNamesTheMissingUnexpectedOrCorruptEntry() throws IOException {
        Map<String, Object> good = artifacts(ZipFiles.read(TestModels.trainedFile()));
        LazyAttentionModel.verifyArtifacts(good);

        Map<String, Object> flipped = new LinkedHashMap<>(good);
        byte[] parameters = ((byte[]) good.get(ModelFileFormat.PARAMETERS)).clone();
        parameters[7] ^= 1;
        flipped.put(ModelFileFormat.PARAMETERS, parameters);
        assertRefused(flipped, "[" + ModelFileFormat.PARAMETERS + "]: SHA-256 mismatch");

        Map<String, Object> missing = new LinkedHashMap<>(good);
        missing.remove(ModelFileFormat.TOKENIZER);
        assertRefused(missing, "[" + ModelFileFormat.TOKENIZER + "]: missing");

        Map<String, Object> unverifiable = new LinkedHashMap<>(good);
        unverifiable.remove(ModelFileFormat.CHECKSUMS);
        assertRefused(unverifiable, "[" + ModelFileFormat.CHECKSUMS + "]: missing");

        Map<String, Object> extra = new LinkedHashMap<>(good);
        extra.put("notes.txt", new byte[0]);
        assertRefused(extra, "[notes.txt]: unexpected entry");

        Map<String, Object> wrongType = new LinkedHashMap<>(good);
        wrongType.put(ModelFileFormat.CONFIG, "{}");
        assertRefused(wrongType, "[" + ModelFileFormat.CONFIG + "]: read as java.lang.String");

        Map<String, Object> changedManifest = new LinkedHashMap<>(good);
        Properties manifest = new Properties();
        manifest.putAll((Properties) good.get(ModelFileFormat.MANIFEST));
        manifest.setProperty("Language", "fr");
        changedManifest.put(ModelFileFormat.MANIFEST, manifest);
        assertRefused(changedManifest, "[" + ModelFileFormat.MANIFEST + "]: SHA-256 mismatch");
    }

    @Test
    @SuppressWarnings("try") // closing inside the block is what is tested
    void theLanguageModelIsBuiltOnceAndAgainAfterClose() throws IOException {
        try (LazyAttentionModel model = new LazyAttentionModel(TestModels.trainedFile())) {
            LazyLanguageModel first = model.languageModel();
            assertSame(first, model.languageModel());
            double expected = TestModels.referenceLogProbability(first, TEXT);
            model.close();
            assertTrue(first.isClosed());
            LazyLanguageModel second = model.languageModel();
            assertNotSame(first, second);
            assertEquals(expected, TestModels.referenceLogProbability(second, TEXT), 1e-9);
        }
    }

    @Test
    void nullAndMissingSourcesGetClearErrors() {
        assertThrows(IllegalArgumentException.class, () -> new LazyAttentionModel((Path) null));
        assertThrows(IllegalArgumentException.class, () -> new LazyAttentionModel((File) null));
        assertThrows(IllegalArgumentException.class, () -> new LazyAttentionModel((InputStream) null));
        assertThrows(IllegalArgumentException.class, () -> new LazyAttentionModel((URL) null));
        assertThrows(IllegalArgumentException.class, () -> new LazyAttentionModel((LazyLanguageModel) null));
        Path missing = dir.resolve("missing.lazylm.zip");
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> new LazyAttentionModel(missing));
        assertTrue(e.getMessage().contains(missing.toString()));
    }

    /** Artifacts as BaseModel holds them after reading the file: properties parsed, the rest as bytes. */
    private static Map<String, Object> artifacts(Map<String, byte[]> raw) throws IOException {
        Map<String, Object> artifacts = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : raw.entrySet()) {
            artifacts.put(e.getKey(), e.getKey().endsWith(".properties")
                    ? VerbatimProperties.parse(e.getValue()) : e.getValue());
        }
        return artifacts;
    }

    private static void assertRefused(Map<String, Object> artifacts, String expected) {
        InvalidFormatException e = assertThrows(InvalidFormatException.class,
                () -> LazyAttentionModel.verifyArtifacts(artifacts));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}

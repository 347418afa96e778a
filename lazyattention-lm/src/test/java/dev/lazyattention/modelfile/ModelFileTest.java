package dev.lazyattention.modelfile;

import dev.lazyattention.serving.LazyLmTranslatorFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.modality.nlp.generate.CausalLMOutput;
import ai.djl.modality.nlp.generate.SearchConfig;
import ai.djl.modality.nlp.generate.TextGenerator;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.generate.Generation;
import dev.lazyattention.generate.GenerationOptions;
import dev.lazyattention.generate.Generator;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.lm.LazyLanguageModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one model file: round trips, refusal of damaged files, and loading through DJL's Criteria. */
class ModelFileTest {

    @TempDir
    static Path dir;

    static Path modelFile;
    static final String TEXT = "The quick fox sees the dog near the river.";

    @BeforeAll
    static void trainOnce() throws IOException {
        modelFile = TinyModels.trainedModelFile(dir.resolve("trained"), AttentionVariant.LAZY, 30);
    }

    private static double logProbability(LazyLanguageModel lm, String text) {
        int[] ids = lm.tokenizer().encode(text);
        int[] tokens = new int[ids.length + 1];
        tokens[0] = lm.tokenizer().endOfTextId();
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        return new SequenceScorer(lm, ScoringOptions.defaults(32)).score(new ScoringRequest(tokens, 1)).logProbability();
    }

    @Test
    void saveAndLoadGiveIdenticalScores() throws IOException {
        try (LazyLanguageModel lm = LazyLanguageModel.load(modelFile, Device.cpu())) {
            Path copy = dir.resolve("copy.lazylm.zip");
            lm.save(copy);
            try (LazyLanguageModel again = LazyLanguageModel.load(copy, Device.cpu())) {
                assertEquals(lm.config(), again.config());
                assertEquals(logProbability(lm, TEXT), logProbability(again, TEXT), 0.0);
            }
        }
    }

    @Test
    void aLanguageGivenAtSaveIsWrittenAndTheModelKeepsItsOwn() throws IOException {
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.SOFTMAX, 5)) {
            assertEquals("und", lm.language());
            Path german = dir.resolve("de.lazylm.zip");
            lm.save(german, " de ");
            assertEquals("und", lm.language(), "saving with a language does not change the model");
            Path plain = dir.resolve("und.lazylm.zip");
            lm.save(plain);
            try (LazyLanguageModel de = LazyLanguageModel.load(german, Device.cpu());
                    LazyLanguageModel und = LazyLanguageModel.load(plain, Device.cpu())) {
                assertEquals("de", de.language());
                assertEquals("und", und.language());
                Path again = dir.resolve("de-again.lazylm.zip");
                de.save(again);
                try (LazyLanguageModel reloaded = LazyLanguageModel.load(again, Device.cpu())) {
                    assertEquals("de", reloaded.language(), "a loaded model saves its own language again");
                }
                assertArrayEquals(de.toEntries(Map.of()).get(ModelFileFormat.PARAMETERS),
                        lm.toEntries("de", Map.of()).get(ModelFileFormat.PARAMETERS));
            }
            Path refused = dir.resolve("refused.lazylm.zip");
            for (String bad : new String[] {"en\nComponent-Name=other", "", "  ", "en=US", "a b", null}) {
                assertThrows(IllegalArgumentException.class, () -> lm.save(refused, bad), String.valueOf(bad));
            }
            assertTrue(Files.notExists(refused), "a refused language writes nothing");
        }
    }

    @Test
    void theFileHoldsEveryEntryWithItsChecksum() throws IOException {
        try (ZipFile zip = new ZipFile(modelFile.toFile())) {
            for (String name : new String[] {"config.json", "tokenizer.json", "lazylm-0000.params",
                    "serving.properties", "manifest.properties", "checksums.sha256"}) {
                assertTrue(zip.getEntry(name) != null, name);
            }
            String sums = new String(zip.getInputStream(zip.getEntry("checksums.sha256")).readAllBytes(),
                    StandardCharsets.UTF_8);
            byte[] params = zip.getInputStream(zip.getEntry("lazylm-0000.params")).readAllBytes();
            assertTrue(sums.contains(ModelEntries.sha256(params) + "  lazylm-0000.params"), sums);
            assertEquals(5, sums.lines().count(), "one checksum per other entry");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"config.json", "tokenizer.json", "lazylm-0000.params", "serving.properties",
            "manifest.properties"})
    void aFlippedByteInAnyEntryIsRefusedByName(String entry) throws IOException {
        Map<String, byte[]> entries = entriesOf(modelFile);
        byte[] bytes = entries.get(entry).clone();
        bytes[bytes.length / 2] ^= 0x20;
        entries.put(entry, bytes);
        Path damaged = rezip(entries, "flipped-" + entry + ".zip");
        ModelFileException e = assertThrows(ModelFileException.class, () -> LazyLanguageModel.load(damaged, Device.cpu()));
        assertEquals(entry, e.entry());
        assertTrue(e.getMessage().contains(damaged.toString()) && e.getMessage().contains("SHA-256 mismatch"),
                e.getMessage());
    }

    @Test
    void truncatedForeignAndIncompleteFilesAreRefused() throws IOException {
        byte[] whole = Files.readAllBytes(modelFile);
        Path truncated = dir.resolve("truncated.zip");
        Files.write(truncated, Arrays.copyOf(whole, whole.length / 3));
        assertRefused(truncated, null);

        Path foreign = dir.resolve("foreign.zip");
        Map<String, byte[]> other = new LinkedHashMap<>();
        other.put("hello.txt", "hi".getBytes(StandardCharsets.UTF_8));
        Files.write(foreign, zip(other));
        assertTrue(assertRefused(foreign, "hello.txt").getMessage().contains("unexpected entry"));

        Map<String, byte[]> entries = entriesOf(modelFile);
        entries.remove("checksums.sha256");
        assertTrue(assertRefused(rezip(entries, "no-sums.zip"), "checksums.sha256").getMessage().contains("missing"));

        Map<String, byte[]> missing = entriesOf(modelFile);
        missing.remove("tokenizer.json");
        assertTrue(assertRefused(rezip(missing, "no-tokenizer.zip"), "tokenizer.json").getMessage().contains("missing"));

        Path text = dir.resolve("text.lazylm.zip");
        Files.writeString(text, "not a zip at all");
        assertRefused(text, null);
        assertTrue(assertRefused(dir.resolve("absent.lazylm.zip"), null).getMessage().contains("file not found"));
    }

    private static ModelFileException assertRefused(Path file, String entry) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> LazyLanguageModel.load(file, Device.cpu()));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        if (entry != null) {
            assertEquals(entry, e.entry(), e.getMessage());
        }
        return e;
    }

    @Test
    void djlCriteriaLoadsTheZipAndScoresLikeTheLibrary() throws Exception {
        Criteria<String, Float> criteria = Criteria.builder()
                .setTypes(String.class, Float.class)
                .optModelPath(modelFile)
                .optTranslatorFactory(new LazyLmTranslatorFactory())
                .optDevice(Device.cpu())
                .build();
        try (ZooModel<String, Float> model = criteria.loadModel();
                Predictor<String, Float> predictor = model.newPredictor();
                LazyLanguageModel lm = LazyLanguageModel.load(modelFile, Device.cpu())) {
            assertEquals(logProbability(lm, TEXT), predictor.predict(TEXT), 1e-4);
        }
    }

    @Test
    void djlTextGeneratorGreedySearchMatchesOurGreedyGeneration() throws Exception {
        Criteria<NDList, CausalLMOutput> criteria = Criteria.builder()
                .setTypes(NDList.class, CausalLMOutput.class)
                .optModelPath(modelFile)
                .optTranslatorFactory(new LazyLmTranslatorFactory())
                .optDevice(Device.cpu())
                .build();
        try (ZooModel<NDList, CausalLMOutput> model = criteria.loadModel();
                Predictor<NDList, CausalLMOutput> predictor = model.newPredictor();
                LazyLanguageModel lm = LazyLanguageModel.load(modelFile, Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            int[] prompt = lm.tokenizer().encode("The lazy dog");
            Generation ours = new Generator(lm).generate(prompt,
                    GenerationOptions.greedy(12).withStopAtEndOfText(false));

            SearchConfig config = new SearchConfig();
            config.setMaxSeqLength(prompt.length + 1 + 12);
            config.setPadTokenId(-1);
            long[] input = new long[prompt.length + 1];
            input[0] = lm.tokenizer().endOfTextId();
            for (int i = 0; i < prompt.length; i++) {
                input[i + 1] = prompt[i];
            }
            NDArray ids = manager.create(input, new Shape(1, input.length));
            long[] djl = new TextGenerator(predictor, "greedy", config).greedySearch(ids).toLongArray();
            long[] generated = Arrays.copyOfRange(djl, input.length, djl.length);
            assertArrayEquals(Arrays.stream(ours.ids()).asLongStream().toArray(), generated);
        }
    }

    static Map<String, byte[]> entriesOf(Path file) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                entries.put(e.getName(), zip.getInputStream(e).readAllBytes());
            }
        }
        return entries;
    }

    static Path rezip(Map<String, byte[]> entries, String name) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, zip(entries));
        return file;
    }

    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = bytes; ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}

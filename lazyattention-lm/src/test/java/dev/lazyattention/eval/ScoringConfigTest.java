package dev.lazyattention.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.FrontEndReading;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The scoring settings' table: every front end reads every setting it takes under its names, with one default. */
class ScoringConfigTest {

    private static final ScoringConfig BASE = ScoringConfig.of("m.lazylm.zip");

    /** A value other than the default for each setting, as a front end gets it, and the value it means. */
    static final Map<String, List<Object>> GIVEN = Map.ofEntries(
            Map.entry("model", List.of("other.lazylm.zip", "other.lazylm.zip")),
            Map.entry("device", List.of("cpu", "cpu")),
            Map.entry("threads", List.of("3", 3)),
            Map.entry("window", List.of("64", 64)),
            Map.entry("stride", List.of("16", 16)),
            Map.entry("batchSize", List.of(" 4 ", 4)),
            Map.entry("attentionStats", List.of("TRUE", true)),
            Map.entry("topK", List.of("5", 5)),
            Map.entry("maxDocumentChars", List.of("1000", 1000)),
            Map.entry("scope", List.of("Document", ScoringConfig.Scope.DOCUMENT)),
            Map.entry("nthreads", List.of("2", 2)),
            Map.entry("maxTopK", List.of("20", 20)),
            Map.entry("documentsPerBatch", List.of("8", 8)),
            Map.entry("splitter", List.of("corenlp", ScoringConfig.SentenceSplitting.CORENLP)),
            Map.entry("language", List.of("de", "de")));

    @Test
    void everyFrontEndReadsEverySettingItTakesUnderEachOfItsNames() {
        assertEquals(9 + 12 + 3 + 11, FrontEndReading.eachNameAlone(ScoringConfig.SETTINGS, BASE, GIVEN),
                "the CLI, CoreNLP, OpenNLP and Spark columns");
    }

    @Test
    void theFrontEndsKeepTheNamesTheirUsersKnow() {
        assertEquals(List.of("lazylm.maxLength"), ScoringConfig.SETTINGS.names(FrontEnd.CORENLP, ScoringConfig.WINDOW));
        assertEquals(List.of("--window"), ScoringConfig.SETTINGS.names(FrontEnd.SPARK, ScoringConfig.WINDOW));
        assertEquals(List.of("-model", "-threads", "-window"),
                ScoringConfig.SETTINGS.names(FrontEnd.OPENNLP).stream().sorted().toList());
        assertEquals(List.of("--model", "--device", "--threads", "--window", "--stride", "--batch-size",
                "--attention-stats", "--top-k", "--scope"), ScoringConfig.SETTINGS.names(FrontEnd.CLI));
    }

    @Test
    void badValuesAreRefusedUnderTheFrontEndsName() {
        assertEquals("lazylm.maxLength must be >= 2, got 1", refused(FrontEnd.CORENLP, "lazylm.maxLength", "1"));
        assertEquals("--batch-size=many: expected a whole number", refused(FrontEnd.SPARK, "--batch-size", "many"));
        assertEquals("--splitter=icu: expected jdk or corenlp", refused(FrontEnd.SPARK, "--splitter", "icu"));
        assertEquals("lazylm.device=tpu: expected auto, cpu, gpu or gpu:N",
                refused(FrontEnd.CORENLP, "lazylm.device", "tpu"));
        assertEquals("lazylm.model must be given: a .lazylm.zip model file, or a model folder in Hugging Face's "
                + "layout", assertThrows(IllegalArgumentException.class, () -> ScoringConfig.SETTINGS.builder()
                .read(FrontEnd.CORENLP, n -> null).build(FrontEnd.CORENLP)).getMessage());
        assertEquals("--stride 32 must be shorter than the window 32", assertThrows(IllegalArgumentException.class,
                () -> ScoringConfig.SETTINGS.bind(BASE, FrontEnd.CLI, n -> n.equals("--window")
                        || n.equals("--stride") ? "32" : null)).getMessage());
    }

    private static String refused(FrontEnd frontEnd, String name, String value) {
        return assertThrows(IllegalArgumentException.class,
                () -> ScoringConfig.SETTINGS.bind(BASE, frontEnd, n -> n.equals(name) ? value : null)).getMessage();
    }

    @Test
    void theWindowIsTheContextUnlessSetAndTheStrideHalfTheWindow() {
        ScoringOptions defaults = BASE.options(128, "--window");
        assertEquals(List.of(128, 64, 16, false, 0), List.of(defaults.windowLength(), defaults.stride(),
                defaults.batchSize(), defaults.attentionStats(), defaults.topK()));
        ScoringOptions set = BASE.with(ScoringConfig.WINDOW, 33).with(ScoringConfig.TOP_K, 2)
                .with(ScoringConfig.ATTENTION_STATS, true).options(128, "--window");
        assertEquals(List.of(33, 16, true, 2), List.of(set.windowLength(), set.stride(), set.attentionStats(),
                set.topK()));
        assertEquals(7, BASE.with(ScoringConfig.STRIDE, 7).options(128, "w").stride());
        assertEquals("lazylm.maxLength=256: must be in [2, 128], the model's context length",
                assertThrows(IllegalArgumentException.class, () -> BASE.with(ScoringConfig.WINDOW, 256)
                        .options(128, "lazylm.maxLength")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> BASE.with(ScoringConfig.STRIDE, 64).options(64, "w"),
                "a stride as long as the context's window");
        assertNull(BASE.window());
    }

    @Test
    void sparkShipsItToItsTasks() throws IOException, ClassNotFoundException {
        ScoringConfig config = BASE.with(ScoringConfig.SPLITTER, ScoringConfig.SentenceSplitting.CORENLP)
                .with(ScoringConfig.THREADS, 2);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(config);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(config, in.readObject());
        }
    }

    @Test
    void docsSettingsMdShowsTheTable() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(root.resolve("docs")) || !Files.isDirectory(root.resolve("lazyattention-lm"))) {
            root = root.getParent();
        }
        String page = Files.readString(root.resolve("docs/settings.md"), StandardCharsets.UTF_8);
        String table = ScoringConfig.SETTINGS.markdownTable();
        assertTrue(page.contains(table), "docs/settings.md lacks the scoring settings' table, which is now:\n" + table);
    }
}

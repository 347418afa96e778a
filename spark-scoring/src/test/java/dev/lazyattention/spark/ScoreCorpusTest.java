package dev.lazyattention.spark;

import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.Setting;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spark-submit main, end to end on files: read, score, write, read back. */
class ScoreCorpusTest {

    @Test
    void scoresJsonDocumentsIntoParquet(@TempDir Path dir) throws IOException {
        SparkSession spark = LocalSpark.session();
        List<String> texts = Corpora.paragraphs(30, 21);
        Path input = dir.resolve("docs.json");
        Corpora.frame(spark, texts, 2).write().json(input.toString());
        Path output = dir.resolve("scores");
        int status = ScoreCorpus.run(spark, "--model", TestModel.file().toString(), "--input", input.toString(),
                "--format", "json", "--output", output.toString(), "--level", "documents", "--partitions", "3");
        assertEquals(0, status);
        List<Row> rows = spark.read().parquet(output.toString()).collectAsList();
        assertEquals(texts.size(), rows.size());
        for (Row row : rows) {
            int id = (int) row.getLong(row.fieldIndex("id")); // JSON reads integers as long
            assertEquals(TestModel.logProb(texts.get(id)), row.getDouble(row.fieldIndex("logProb")), 1e-4);
        }
    }

    @Test
    void scoresTextLinesIntoJsonSentenceRows(@TempDir Path dir) throws IOException {
        SparkSession spark = LocalSpark.session();
        List<String> texts = Corpora.paragraphs(10, 22);
        Path input = dir.resolve("corpus.txt");
        Files.write(input, texts, StandardCharsets.UTF_8);
        Path output = dir.resolve("sentences");
        int status = ScoreCorpus.run(spark, "--model", TestModel.file().toString(), "--input", input.toString(),
                "--output", output.toString(), "--output-format", "json", "--level", "sentences");
        assertEquals(0, status);
        List<Row> rows = spark.read().json(output.toString()).collectAsList();
        long expected = texts.stream().mapToLong(t -> t.chars().filter(c -> c == '.').count()).sum();
        assertEquals(expected, rows.size());
        Map<Long, Integer> perDocument = new HashMap<>();
        for (Row row : rows) {
            assertTrue(row.getString(row.fieldIndex("path")).endsWith("corpus.txt"));
            perDocument.merge(row.getLong(row.fieldIndex("documentId")), 1, Integer::sum);
            assertEquals(TestModel.logProb(row.getString(row.fieldIndex("sentence"))),
                    row.getDouble(row.fieldIndex("logProb")), 1e-4);
        }
        assertEquals(texts.size(), perDocument.size());
    }

    @Test
    void aMissingModelExitsWith1AndNamesThePath(@TempDir Path dir) throws IOException {
        SparkSession spark = LocalSpark.session();
        Path input = dir.resolve("corpus.txt");
        Files.writeString(input, "The dog sees the cat.\n");
        String missing = dir.resolve("no-such-model.lazylm.zip").toString();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int status;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            status = ScoreCorpus.run(spark, "--model", missing, "--input", input.toString(),
                    "--output", dir.resolve("out").toString());
        } finally {
            System.setErr(saved);
        }
        assertEquals(1, status);
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("ScoreCorpus: model file not found: " + missing), message);
    }

    @Test
    void badOptionsAreUsageErrors(@TempDir Path dir) {
        SparkSession spark = LocalSpark.session();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            String[] common = {"--model", "m.lazylm.zip", "--input", "in", "--output", dir.toString()};
            assertEquals(2, ScoreCorpus.run(spark, concat(common, "--splitter", "regex")));
            assertEquals(2, ScoreCorpus.run(spark, concat(common, "--output-format", "csv")));
            assertEquals(2, ScoreCorpus.run(spark, "--input", "in"));
        } finally {
            System.setErr(saved);
        }
    }

    @Test
    void theScoringOptionsAreTheSparkColumnOfTheTable() {
        PrintStream saved = System.out;
        ByteArrayOutputStream help = new ByteArrayOutputStream();
        System.setOut(new PrintStream(help, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, ScoreCorpus.run(null, "--help"));
        } finally {
            System.setOut(saved);
        }
        String usage = help.toString(StandardCharsets.UTF_8);
        for (Setting<?> s : ScoringConfig.SETTINGS.settings(FrontEnd.SPARK)) {
            String option = ScoringConfig.SETTINGS.name(FrontEnd.SPARK, s);
            assertTrue(usage.contains(option), option + " in\n" + usage);
        }
        assertTrue(usage.contains("Windows per forward pass (default: 16)."), usage);
        assertTrue(usage.contains("--no-attention-stats"), usage);
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}

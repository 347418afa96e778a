package dev.lazyattention.spark;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.lm.LazyLanguageModel;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where executors find the model: its own path, a file shipped with addFile (--files), or a clear failure. */
class ModelLocationTest {

    @Test
    void aMissingModelFailsTheJobWithAMessageNamingThePath() {
        SparkSession spark = LocalSpark.session();
        String missing = "/nonexistent/models/missing-model.lazylm.zip";
        Exception e = assertThrows(Exception.class, () -> LazyLmScoring.scoreDocuments(
                Corpora.frame(spark, List.of("The dog sees the cat."), 1), "text", ScoringConfig.of(missing))
                .collectAsList());
        String message = ScoreCorpus.describe(e);
        assertTrue(message.startsWith("model file not found: " + missing), message);
        assertTrue(message.contains("--files"), message);
    }

    @Test
    void aCorruptModelFailsTheJobWithAMessageNamingTheFile(@TempDir Path dir) throws IOException {
        SparkSession spark = LocalSpark.session();
        Path corrupt = dir.resolve("corrupt.lazylm.zip");
        Files.write(corrupt, new byte[] {'P', 'K', 3, 4, 0, 0});
        Exception e = assertThrows(Exception.class, () -> LazyLmScoring.scoreDocuments(
                Corpora.frame(spark, List.of("The dog sees the cat."), 1), "text",
                ScoringConfig.of(corrupt.toString())).collectAsList());
        assertTrue(ScoreCorpus.describe(e).contains(corrupt.toString()), ScoreCorpus.describe(e));
    }

    @Test
    void aModelFolderInHuggingFacesLayoutScoresAsItsModelFile(@TempDir Path dir) throws IOException {
        SparkSession spark = LocalSpark.session();
        Path folder = dir.resolve("hf");
        try (LazyLanguageModel lm = LazyLanguageModel.load(TestModel.file(), Device.cpu())) {
            lm.exportFolder(folder, DataType.FLOAT32);
        }
        String text = "The small dog sees the cat near the river.";
        List<Row> rows = LazyLmScoring.scoreDocuments(Corpora.frame(spark, List.of(text), 1), "text",
                ScoringConfig.of(folder.toString())).collectAsList();
        assertEquals(TestModel.logProb(text), rows.get(0).getDouble(rows.get(0).fieldIndex("logProb")), 1e-4);
    }

    @Test
    void aFileShippedWithAddFileIsFoundByItsName() throws IOException {
        SparkSession spark = LocalSpark.session();
        // The session outlives this test and checks its shipped files at every task: the source must stay.
        Path dir = Files.createTempDirectory("spark-scoring-shipped");
        dir.toFile().deleteOnExit();
        Path shipped = dir.resolve("shipped-model.lazylm.zip");
        Files.copy(TestModel.file(), shipped);
        shipped.toFile().deleteOnExit();
        spark.sparkContext().addFile(shipped.toString());
        String text = "The small dog sees the cat near the river.";
        // By name, and by a path that does not exist here but ends in the name (the driver's path, say).
        for (String name : List.of("shipped-model.lazylm.zip", "/elsewhere/shipped-model.lazylm.zip")) {
            List<Row> rows = LazyLmScoring.scoreDocuments(Corpora.frame(spark, List.of(text), 1), "text",
                    ScoringConfig.of(name)).collectAsList();
            assertEquals(TestModel.logProb(text), rows.get(0).getDouble(rows.get(0).fieldIndex("logProb")), 1e-4, name);
        }
    }
}

package dev.lazyattention.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

/**
 * The README's Spark example ("Apache Spark"), which README.md shows as an excerpt of this file (checked by
 * integration-tests' ReadmeSnippetsTest): it compiles here, and runs on a Parquet corpus.
 */
class ReadmeExampleTest {

    /** The README's example: scores of the documents, of their sentences, and both with attention statistics. */
    static List<Dataset<Row>> readmeExample(SparkSession spark, String corpus, String modelFile) {
        Dataset<Row> docs = spark.read().parquet(corpus);                    // any columns, one of them the text
        ScoringConfig cfg = ScoringConfig.of(modelFile);                     // shipped with --files, or a shared path
        Dataset<Row> documents = LazyLmScoring.scoreDocuments(docs, "text", cfg);
        Dataset<Row> sentences = LazyLmScoring.scoreSentences(docs, "text", cfg);
        Dataset<Row> both = LazyLmScoring.scoreDocumentsAndSentences(docs, "text", cfg.withAttentionStats(true));
        return List.of(documents, sentences, both);
    }

    @Test
    void theReadmeExampleScoresAParquetCorpus(@TempDir Path dir) {
        SparkSession spark = LocalSpark.session();
        List<String> texts = List.of("The dog sees the cat. The cat runs.", "A fox sees the dog.");
        String corpus = dir.resolve("corpus.parquet").toString();
        Corpora.frame(spark, texts, 1).write().parquet(corpus);

        List<Dataset<Row>> results = readmeExample(spark, corpus, TestModel.file().toString());

        List<Row> documents = results.get(0).collectAsList();
        assertEquals(2, documents.size());
        for (Row row : documents) {
            String text = row.getString(row.fieldIndex("text"));
            assertEquals(TestModel.logProb(text), row.getDouble(row.fieldIndex("logProb")), 1e-4, text);
        }
        assertEquals(3, results.get(1).count(), "sentences");
        Row both = results.get(2).collectAsList().get(0);
        assertTrue(both.getList(both.fieldIndex("sentences")).size() >= 1);
        assertTrue(both.getDouble(both.fieldIndex("sparsity")) >= 0);
    }
}

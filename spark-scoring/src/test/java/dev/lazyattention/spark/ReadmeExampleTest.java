package dev.lazyattention.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.eval.SequenceScore;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

/**
 * The READMEs' Spark example, which README.md and spark-scoring/README.md show as an excerpt of this file (checked by
 * integration-tests' ReadmeSnippetsTest): it compiles here, and runs on a Parquet corpus.
 */
class ReadmeExampleTest {

    /** The README's example: scores of the documents, of their sentences, and both with attention statistics. */
    static List<Dataset<Row>> readmeExample(SparkSession spark, String corpus, String modelFile) {
        Dataset<Row> docs = spark.read().parquet(corpus);                    // any columns, one of them the text
        ScoringConfig cfg = ScoringConfig.of(modelFile);                     // shipped with --files, or a shared path
        Dataset<Row> documents = LazyLmScoring.scoreDocuments(docs, "text", cfg);
        Dataset<Row> sentences = LazyLmScoring.scoreSentences(docs, "text", cfg);
        ScoringConfig stats = cfg.with(ScoringConfig.ATTENTION_STATS, true);  // adds the sparsity and sinkMass columns
        Dataset<Row> both = LazyLmScoring.scoreDocumentsAndSentences(docs, "text", stats);
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
        List<Row> both = results.get(2).collectAsList();
        assertEquals(2, both.size(), "documents with their sentences");
        for (Row row : both) {
            String text = row.getString(row.fieldIndex("text"));
            assertEquals(text.equals(texts.get(0)) ? 2 : 1, row.getList(row.fieldIndex("sentences")).size(), text);
            // The single-machine scorer is the reference; exact zeros may flip with batching (see
            // ScoringEqualsSingleMachineTest), hence the looser bound on sparsity.
            SequenceScore expected = TestModel.score(text, true);
            assertEquals(expected.logProbability(), row.getDouble(row.fieldIndex("logProb")), 1e-4, text);
            assertEquals(expected.attention().sparsity(), row.getDouble(row.fieldIndex("sparsity")), 1e-2, text);
            assertEquals(expected.attention().sinkMass(), row.getDouble(row.fieldIndex("sinkMass")), 1e-4, text);
        }
    }
}

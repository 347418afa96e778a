package dev.lazyattention.spark;

import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.testing.HostileText;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Text that is null, empty, malformed or too long, empty partitions and bad columns: defined results, no failure. */
class BadInputTest {

    private static final int MAX_CHARS = 2000;

    private static SparkSession spark;
    private static ScoringConfig cfg;

    @BeforeAll
    static void setUp() {
        spark = LocalSpark.session();
        cfg = ScoringConfig.of(TestModel.file().toString()).with(ScoringConfig.MAX_DOCUMENT_CHARS, MAX_CHARS)
                .with(ScoringConfig.DOCUMENTS_PER_BATCH, 8);
    }

    @Test
    void corruptDocumentsGetDefinedValuesAndTheOthersAreScored() {
        List<String> texts = new ArrayList<>(Arrays.asList(
                null,                                              // 0: error, null scores
                "",                                                // 1: 0 over 0 pieces
                "   \n\t ",                                        // 2: whitespace: scored, no sentences
                "The dog\u0000\u0000 sees the cat.",               // 3: NUL characters
                "\ud800 The fox \udc00 sees. \udfff\ud800",         // 4: lone surrogates
                "The cat. ".repeat(MAX_CHARS / 9 + 1),              // 5: over maxDocumentChars: error
                "The quick fox sees the dog."));                   // 6: plain
        Random random = new Random(5);
        for (int i = 0; i < 60; i++) {
            texts.add(HostileText.next(random, 12));
        }
        List<Row> rows = LazyLmScoring.scoreDocumentsAndSentences(Corpora.frame(spark, texts, 4), "text", cfg)
                .collectAsList();
        assertEquals(texts.size(), rows.size());
        for (Row row : rows) {
            int id = row.getInt(0);
            String error = row.getString(row.fieldIndex("error"));
            if (id == 0 || id == 5) {
                assertTrue(error.contains(id == 0 ? "text is null" : "maxDocumentChars=" + MAX_CHARS), error);
                for (String column : List.of("logProb", "perplexity", "bitsPerByte", "pieces", "bytes", "sentences")) {
                    assertTrue(row.isNullAt(row.fieldIndex(column)), column + " of " + id);
                }
                continue;
            }
            assertNull(error, "document " + id);
            // Spark keeps strings as UTF-8, so a lone surrogate reaches the job as '?', as String.getBytes writes it.
            String text = new String(texts.get(id).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
            assertEquals(text, row.getString(row.fieldIndex("text")), "document " + id);
            if (id == 1) {
                assertEquals(0.0, row.getDouble(row.fieldIndex("logProb")));
                assertEquals(0, row.getInt(row.fieldIndex("pieces")));
                assertTrue(row.isNullAt(row.fieldIndex("perplexity")));
                assertTrue(row.isNullAt(row.fieldIndex("bitsPerByte")));
            } else {
                assertEquals(TestModel.logProb(text), row.getDouble(row.fieldIndex("logProb")), 1e-4, "document " + id);
            }
            List<Row> sentences = row.getList(row.fieldIndex("sentences"));
            if (id == 1 || id == 2) {
                assertTrue(sentences.isEmpty());
            }
            for (Row s : sentences) {
                assertEquals(TestModel.logProb(s.getString(s.fieldIndex("sentence"))),
                        s.getDouble(s.fieldIndex("logProb")), 1e-4);
            }
        }
    }

    @Test
    void aDocumentWithAnErrorIsOneSentenceRowWithTheError() {
        List<Row> rows = LazyLmScoring.scoreSentences(
                Corpora.frame(spark, Arrays.asList(null, "The dog sees. The cat sees."), 1), "text", cfg)
                .orderBy("id", "sentenceIndex").collectAsList();
        assertEquals(3, rows.size());
        assertEquals("text is null", rows.get(0).getString(rows.get(0).fieldIndex("error")));
        assertTrue(rows.get(0).isNullAt(rows.get(0).fieldIndex("sentenceIndex")));
        assertEquals("The cat sees.", rows.get(2).getString(rows.get(2).fieldIndex("sentence")));
    }

    @Test
    void emptyPartitionsAndAnEmptyInputScoreNothingAndDoNotFail() {
        List<String> texts = Corpora.paragraphs(5, 3);
        Dataset<Row> sparse = Corpora.frame(spark, texts, 1).repartition(23);
        List<Row> rows = LazyLmScoring.scoreDocuments(sparse, "text", cfg).collectAsList();
        assertEquals(texts.size(), rows.size());
        for (Row row : rows) {
            assertEquals(TestModel.logProb(texts.get(row.getInt(0))), row.getDouble(row.fieldIndex("logProb")), 1e-4);
        }
        Dataset<Row> none = spark.createDataFrame(List.of(), Corpora.SCHEMA).repartition(3);
        assertEquals(0, LazyLmScoring.scoreDocumentsAndSentences(none, "text", cfg).count());
    }

    @Test
    void aMissingOrNonStringTextColumnIsRefusedNamingIt() {
        Dataset<Row> docs = Corpora.frame(spark, List.of("The dog."), 1);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> LazyLmScoring.scoreDocuments(docs, "body", cfg));
        assertTrue(missing.getMessage().contains("'body'") && missing.getMessage().contains("[id, text]"),
                missing.getMessage());
        IllegalArgumentException notText = assertThrows(IllegalArgumentException.class,
                () -> LazyLmScoring.scoreDocuments(docs, "id", cfg));
        assertTrue(notText.getMessage().contains("'id' is int"), notText.getMessage());
        StructType clash = Corpora.SCHEMA.add(DataTypes.createStructField("LogProb", DataTypes.DoubleType, true));
        Dataset<Row> clashing = spark.createDataFrame(List.of(), clash);
        IllegalArgumentException named = assertThrows(IllegalArgumentException.class,
                () -> LazyLmScoring.scoreDocuments(clashing, "text", cfg));
        assertTrue(named.getMessage().contains("[LogProb]"), named.getMessage());
    }
}

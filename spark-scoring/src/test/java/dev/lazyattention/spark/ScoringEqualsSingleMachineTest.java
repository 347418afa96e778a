package dev.lazyattention.spark;

import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.eval.SequenceScore;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spark in local[2] gives every document and sentence the log-probability that scoring it alone on one machine
 * gives, with the batching across documents, the sharing of forward passes between documents and sentences and
 * the sliding windows all in play.
 */
@Tag("slow") // about 17 s of Spark jobs: runs under -Pfull
class ScoringEqualsSingleMachineTest {

    private static final double TOLERANCE = 1e-4;

    private static SparkSession spark;
    private static List<String> texts;
    private static ScoringConfig cfg;

    @BeforeAll
    static void setUp() {
        spark = LocalSpark.session();
        texts = new ArrayList<>(Corpora.paragraphs(300, 11));
        texts.add("Fox.");                                           // one piece-ish document
        texts.add(String.join(" ", Corpora.paragraphs(6, 12)));      // many windows
        cfg = ScoringConfig.of(TestModel.file().toString()).with(ScoringConfig.DOCUMENTS_PER_BATCH, 16);
    }

    @Test
    void documentsAndSentencesEqualScoringEachAloneThroughSequenceScorer() {
        Dataset<Row> scored = LazyLmScoring.scoreDocumentsAndSentences(Corpora.frame(spark, texts, 7), "text", cfg);
        List<Row> rows = scored.collectAsList();
        assertEquals(texts.size(), rows.size());
        int sentencesChecked = 0;
        for (Row row : rows) {
            int id = row.getInt(row.fieldIndex("id"));
            String text = texts.get(id);
            assertEquals(text, row.getString(row.fieldIndex("text")));
            assertNull(row.get(row.fieldIndex("error")));
            SequenceScore expected = TestModel.score(text, false);
            double logProb = row.getDouble(row.fieldIndex("logProb"));
            int pieces = row.getInt(row.fieldIndex("pieces"));
            long bytes = row.getLong(row.fieldIndex("bytes"));
            assertEquals(expected.logProbability(), logProb, TOLERANCE, "document " + id);
            assertEquals(expected.logProbabilities().length, pieces, "document " + id);
            assertEquals(text.getBytes(StandardCharsets.UTF_8).length, bytes);
            assertEquals(Math.exp(-logProb / pieces), row.getDouble(row.fieldIndex("perplexity")), 1e-9);
            assertEquals(-logProb / Math.log(2) / bytes, row.getDouble(row.fieldIndex("bitsPerByte")), 1e-12);

            List<Row> sentences = row.getList(row.fieldIndex("sentences"));
            // Every synthetic sentence ends in the paragraph's only kind of full stop.
            assertEquals(text.chars().filter(c -> c == '.').count(), sentences.size(), "sentences of " + id);
            StringBuilder rebuilt = new StringBuilder();
            for (int s = 0; s < sentences.size(); s++) {
                Row sentence = sentences.get(s);
                String sentenceText = sentence.getString(sentence.fieldIndex("sentence"));
                int begin = sentence.getInt(sentence.fieldIndex("begin"));
                int end = sentence.getInt(sentence.fieldIndex("end"));
                assertEquals(s, sentence.getInt(sentence.fieldIndex("sentenceIndex")));
                assertEquals(text.substring(begin, end), sentenceText);
                assertEquals(sentenceText.strip(), sentenceText);
                rebuilt.append(sentenceText);
                SequenceScore alone = TestModel.score(sentenceText, false);
                assertEquals(alone.logProbability(), sentence.getDouble(sentence.fieldIndex("logProb")), TOLERANCE,
                        "sentence " + s + " of document " + id);
                assertEquals(alone.logProbabilities().length, sentence.getInt(sentence.fieldIndex("pieces")));
                sentencesChecked++;
            }
            assertEquals(text.replaceAll("\\s", ""), rebuilt.toString().replaceAll("\\s", ""),
                    "the sentences of " + id + " cover the document");
        }
        assertTrue(sentencesChecked > 1000, "checked " + sentencesChecked + " sentences");
    }

    @Test
    void flatDocumentAndSentenceRowsEqualTheNestedOnes() {
        List<String> some = texts.subList(0, 40);
        Map<Integer, Double> documents = new HashMap<>();
        for (Row row : LazyLmScoring.scoreDocuments(Corpora.frame(spark, some, 3), "text", cfg).collectAsList()) {
            documents.put(row.getInt(0), row.getDouble(row.fieldIndex("logProb")));
        }
        assertEquals(some.size(), documents.size());
        Dataset<Row> sentenceRows = LazyLmScoring.scoreSentences(Corpora.frame(spark, some, 3), "text", cfg);
        assertEquals(Arrays.asList("id", "sentenceIndex", "begin", "end", "sentence", "logProb", "perplexity",
                "bitsPerByte", "pieces", "bytes", "error"), Arrays.asList(sentenceRows.columns()));
        long expectedSentences = some.stream().mapToLong(t -> t.chars().filter(c -> c == '.').count()).sum();
        List<Row> sentences = sentenceRows.collectAsList();
        assertEquals(expectedSentences, sentences.size());
        for (Row s : sentences) {
            assertEquals(TestModel.logProb(s.getString(s.fieldIndex("sentence"))), s.getDouble(s.fieldIndex("logProb")),
                    TOLERANCE);
        }
        for (Map.Entry<Integer, Double> d : documents.entrySet()) {
            assertEquals(TestModel.logProb(some.get(d.getKey())), d.getValue(), TOLERANCE);
        }
    }

    @Test
    void attentionStatsEqualTheSingleMachineOnes() {
        List<String> some = texts.subList(0, 12);
        List<Row> rows = LazyLmScoring.scoreDocuments(Corpora.frame(spark, some, 2), "text",
                cfg.with(ScoringConfig.ATTENTION_STATS, true)).collectAsList();
        assertEquals(some.size(), rows.size());
        for (Row row : rows) {
            SequenceScore expected = TestModel.score(some.get(row.getInt(0)), true);
            assertNotNull(row.get(row.fieldIndex("sparsity")));
            // Exact zeros may flip with float rounding between batched and unbatched passes: a few entries at most.
            assertEquals(expected.attention().sparsity(), row.getDouble(row.fieldIndex("sparsity")), 1e-2);
            assertEquals(expected.attention().sinkMass(), row.getDouble(row.fieldIndex("sinkMass")), 1e-4);
            assertEquals(expected.logProbability(), row.getDouble(row.fieldIndex("logProb")), TOLERANCE);
        }
    }
}

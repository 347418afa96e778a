package dev.lazyattention.spark;

import dev.lazyattention.eval.ScoringConfig;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * Scores the text of any Spark {@link Dataset} with a Lazy Attention language model ({@code .lazylm.zip}),
 * loaded once per executor JVM and shared by its tasks.
 *
 * <pre>{@code
 * Dataset<Row> docs = spark.read().parquet("corpus.parquet");
 * ScoringConfig cfg = ScoringConfig.of("model.lazylm.zip");    // shipped with spark-submit --files
 * Dataset<Row> scored = LazyLmScoring.scoreDocuments(docs, "text", cfg);
 * }</pre>
 *
 * Every input column is kept, so results join back by the input's own keys. The scores: {@code logProb}
 * (natural log), {@code perplexity}, {@code bitsPerByte}, {@code pieces}, {@code bytes}, optionally
 * {@code sparsity} and {@code sinkMass}, and {@code error}. A row whose text is null, too long or cannot be
 * scored gets null scores and a message in {@code error}; it never fails the job. An empty text scores 0 over
 * 0 pieces (null perplexity and bits per byte). A model file that cannot be found or read fails the job with
 * a message naming the file.
 *
 * <p>The result is lazy, like any Spark transformation; the model is loaded when an action runs.
 */
public final class LazyLmScoring {

    private LazyLmScoring() {}

    /**
     * One row per document: the input columns, then {@code logProb, perplexity, bitsPerByte, pieces, bytes,
     * [sparsity, sinkMass], error}. A document is scored from its first piece after {@code <|endoftext|>},
     * in sliding windows, as {@code CorpusEvaluator} scores it.
     *
     * @param textColumn a string column
     * @throws IllegalArgumentException if the column is missing or not a string, or an input column has the
     *     name of an output column
     */
    public static Dataset<Row> scoreDocuments(Dataset<Row> docs, String textColumn, ScoringConfig cfg) {
        return score(docs, textColumn, cfg, OutputLevel.DOCUMENTS);
    }

    /**
     * One row per sentence: the input columns but the text, then {@code sentenceIndex, begin, end, sentence,
     * logProb, perplexity, bitsPerByte, pieces, bytes, [sparsity, sinkMass], error}. Each sentence is scored
     * alone after {@code <|endoftext|>}, as the CoreNLP annotator scores it in sentence scope. A document with
     * an error gives one row with null sentence columns; a document without sentences gives none.
     */
    public static Dataset<Row> scoreSentences(Dataset<Row> docs, String textColumn, ScoringConfig cfg) {
        return score(docs, textColumn, cfg, OutputLevel.SENTENCES);
    }

    /**
     * One row per document with its scores and a {@code sentences} array of its sentences' scores, from the
     * same forward passes: what {@link #scoreDocuments} and {@link #scoreSentences} give, in one job.
     */
    public static Dataset<Row> scoreDocumentsAndSentences(Dataset<Row> docs, String textColumn, ScoringConfig cfg) {
        return score(docs, textColumn, cfg, OutputLevel.BOTH);
    }

    /**
     * Scores at the given level (what the three methods above do).
     *
     * @throws IllegalStateException if the CoreNLP splitter is asked for but CoreNLP is not on the class path
     *     (checked here, before any task runs)
     */
    public static Dataset<Row> score(Dataset<Row> docs, String textColumn, ScoringConfig cfg, OutputLevel level) {
        if (level.scoresSentences() && cfg.splitter() == ScoringConfig.SentenceSplitting.CORENLP) {
            CoreNlpSentenceSplitter.requireOnClassPath();
        }
        ScoreRows rows = new ScoreRows(docs.schema(), textColumn, level, cfg.attentionStats());
        return docs.mapPartitions(new PartitionScorer(cfg, level, rows), Encoders.row(rows.schema()));
    }
}

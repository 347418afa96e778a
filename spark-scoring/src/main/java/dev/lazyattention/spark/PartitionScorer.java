package dev.lazyattention.spark;

import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.lm.LazyLanguageModel;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Scores one partition: it takes {@code documentsPerBatch} rows at a time, scores them together (documents and
 * sentences share forward passes) and hands out their output rows before reading more, so a task holds one batch
 * at a time however large its partition. The model comes from this JVM's {@link ExecutorModels}; an empty
 * partition never loads it.
 */
final class PartitionScorer implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private final ScoringConfig config;
    private final OutputLevel level;
    private final ScoreRows rows;

    PartitionScorer(ScoringConfig config, OutputLevel level, ScoreRows rows) {
        this.config = config;
        this.level = level;
        this.rows = rows;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        if (!input.hasNext()) {
            return Collections.emptyIterator();
        }
        LazyLanguageModel model = ExecutorModels.get(config);
        DocumentBatchScorer scorer = new DocumentBatchScorer(model, config, level);
        return new Iterator<>() {
            private final ArrayDeque<Row> ready = new ArrayDeque<>();

            @Override
            public boolean hasNext() {
                while (ready.isEmpty() && input.hasNext()) {
                    scoreNextBatch();
                }
                return !ready.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.poll();
            }

            private void scoreNextBatch() {
                List<Row> batch = new ArrayList<>(config.documentsPerBatch());
                List<String> texts = new ArrayList<>(config.documentsPerBatch());
                while (batch.size() < config.documentsPerBatch() && input.hasNext()) {
                    Row row = input.next();
                    batch.add(row);
                    texts.add(rows.text(row));
                }
                List<ScoredDocument> results = scorer.score(texts);
                List<Row> out = new ArrayList<>();
                for (int i = 0; i < batch.size(); i++) {
                    rows.append(batch.get(i), results.get(i), out);
                }
                ready.addAll(out);
            }
        };
    }
}

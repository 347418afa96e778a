package dev.lazyattention.spark;

import dev.lazyattention.eval.ScoringConfig;
import java.util.List;

/**
 * Cuts a document into sentences. A sentence runs from its first to its last non-whitespace character,
 * like a CoreNLP sentence runs from its first to its last token; whitespace-only pieces are no sentences.
 */
public interface SentenceSplitter {

    /** The sentences of {@code document}, in order, not overlapping. */
    List<TextSpan> split(String document);

    /**
     * The splitter {@code config} asks for. Not necessarily thread-safe: make one per task.
     *
     * @throws IllegalStateException if CoreNLP is asked for but not on the class path
     */
    static SentenceSplitter create(ScoringConfig config) {
        switch (config.splitter()) {
            case CORENLP:
                return CoreNlpSentenceSplitter.create();
            case JDK:
            default:
                return new BreakIteratorSentenceSplitter(config.locale());
        }
    }
}

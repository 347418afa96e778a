package dev.lazyattention.spark;

import java.util.List;

/**
 * The result for one document.
 *
 * @param score the document's scores, or null when it was not scored (sentences only, or an error)
 * @param sentences its sentences' scores (empty when sentences were not asked for), or null after an error
 * @param error why the document has no scores (a null text, a document over the length bound, a scoring
 *     failure), or null
 */
public record ScoredDocument(TextScore score, List<ScoredSentence> sentences, String error) {

    static ScoredDocument failed(String error) {
        return new ScoredDocument(null, null, error);
    }
}

package dev.lazyattention.corenlp;

import dev.lazyattention.eval.AttentionStats;
import dev.lazyattention.lm.LazyLanguageModel;
import edu.stanford.nlp.util.CoreMap;

/** Log-probability, pieces, bytes and attention diagnostics of a sentence or a document. */
final class Totals {

    double logProbability;
    int pieces;
    long bytes;
    AttentionStats attention;
    private final LazyLanguageModel model;

    Totals(LazyLanguageModel model) {
        this.model = model;
    }

    /** Adds a sentence to a document. */
    void add(Totals sentence) {
        logProbability += sentence.logProbability;
        pieces += sentence.pieces;
        bytes += sentence.bytes;
        if (sentence.attention != null) {
            if (attention == null) {
                attention = new AttentionStats(model.config().numLayers(), model.config().numHeads());
            }
            attention.merge(sentence.attention);
        }
    }

    double perplexity() {
        return pieces == 0 ? Double.NaN : Math.exp(-logProbability / pieces);
    }

    double bitsPerByte() {
        return bytes == 0 ? Double.NaN : -logProbability / Math.log(2) / bytes;
    }

    void writeSentence(CoreMap sentence) {
        sentence.set(LazyLmAnnotations.SentenceLogProbability.class, logProbability);
        sentence.set(LazyLmAnnotations.SentencePerplexity.class, perplexity());
        sentence.set(LazyLmAnnotations.SentenceBitsPerByte.class, bitsPerByte());
        sentence.set(LazyLmAnnotations.SentencePieceCount.class, pieces);
        if (attention != null) {
            sentence.set(LazyLmAnnotations.SentenceSparsity.class, attention.sparsity());
            sentence.set(LazyLmAnnotations.SentenceSinkMass.class, attention.sinkMass());
        }
    }

    void writeDocument(edu.stanford.nlp.pipeline.Annotation document) {
        document.set(LazyLmAnnotations.DocumentLogProbability.class, logProbability);
        document.set(LazyLmAnnotations.DocumentPerplexity.class, perplexity());
        document.set(LazyLmAnnotations.DocumentBitsPerByte.class, bitsPerByte());
        document.set(LazyLmAnnotations.DocumentPieceCount.class, pieces);
        if (attention != null) {
            document.set(LazyLmAnnotations.DocumentSparsity.class, attention.sparsity());
            document.set(LazyLmAnnotations.DocumentSinkMass.class, attention.sinkMass());
        }
    }
}

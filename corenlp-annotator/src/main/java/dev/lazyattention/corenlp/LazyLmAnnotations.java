package dev.lazyattention.corenlp;

import dev.lazyattention.eval.TokenPrediction;
import edu.stanford.nlp.ling.CoreAnnotation;

import java.util.List;

/**
 * The annotations the {@code lazylm} annotator adds, as nested {@link CoreAnnotation} keys (CoreNLP's
 * convention). Log-probabilities are natural logs; surprisal is in bits.
 *
 * <ul>
 *   <li>per token ({@code CoreLabel}): {@link TokenLogProbability}, {@link TokenSurprisal};
 *   <li>per sentence ({@code CoreMap}): {@link SentenceLogProbability}, {@link SentencePerplexity}, {@link
 *       SentenceBitsPerByte}, {@link SentencePieceCount}, and when asked {@link SentenceSparsity}, {@link
 *       SentenceSinkMass}, {@link SentenceNextTokens};
 *   <li>per document ({@code Annotation}): {@link DocumentLogProbability}, {@link DocumentPerplexity},
 *       {@link DocumentBitsPerByte}, {@link DocumentPieceCount}, and when asked {@link DocumentSparsity},
 *       {@link DocumentSinkMass}.
 * </ul>
 */
public final class LazyLmAnnotations {

    private LazyLmAnnotations() {}

    /** Natural-log probability of the token, whitespace before it included. */
    public static final class TokenLogProbability implements CoreAnnotation<Double> {
        @Override
        public Class<Double> getType() {
            return Double.class;
        }
    }

    /** Surprisal of the token in bits: {@code -log2 p}. */
    public static final class TokenSurprisal implements CoreAnnotation<Double> {
        @Override
        public Class<Double> getType() {
            return Double.class;
        }
    }

    /** Natural-log probability of the sentence: the sum of its tokens' values. */
    public static final class SentenceLogProbability implements CoreAnnotation<Double> {
        @Override
        public Class<Double> getType() {
            return Double.class;
        }
    }

    /** Perplexity of the sentence per model piece: {@code exp(-logProbability / pieces)}. */
    public static final class SentencePerplexity implements CoreAnnotation<Double> {
        @Override
        public Class<Double> getType() {
            return Double.class;
        }
    }

    /** Bits per UTF-8 byte of the sentence's text (tokenizer-independent). */
    public static final class SentenceBitsPerByte implements CoreAnnotation<Double> {
        @Override
        public Class<Double> getType() {
            return Double.class;
        }
    }

    /** Number of model pieces (sub-word tokens) scored for the sentence. */
    public static final class SentencePieceCount implements CoreAnnotation<Integer> {
        @Override
        public Class<Integer> getType() {
            return Integer.class;
        }
    }

    /** Share of exactly-zero causal attention weights over the sentence's queries (lazylm.attentionStats). */
    public static final class SentenceSparsity implements CoreAnnotation<Double> {
        @Override
        public Class<Double> getType() {
            return Double.class;
        }
    }

    /** Mean attention weight on the first token over the sentence's queries (lazylm.attentionStats). */
    public static final class SentenceSinkMass implements CoreAnnotation<Double> {
        @Override
        public Class<Double> getType() {
            return Double.class;
        }
    }

    /** The most likely next model pieces after the sentence, with probabilities (lazylm.topK). */
    public static final class SentenceNextTokens implements CoreAnnotation<List<TokenPrediction>> {
        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public Class<List<TokenPrediction>> getType() {
            return (Class) List.class;
        }
    }

    /** Natural-log probability of the document: the sum over its sentences. */
    public static final class DocumentLogProbability implements CoreAnnotation<Double> {
        @Override
        public Class<Double> getType() {
            return Double.class;
        }
    }

    /** Perplexity of the document per model piece. */
    public static final class DocumentPerplexity implements CoreAnnotation<Double> {
        @Override
        public Class<Double> getType() {
            return Double.class;
        }
    }

    /** Bits per UTF-8 byte over the document's sentences. */
    public static final class DocumentBitsPerByte implements CoreAnnotation<Double> {
        @Override
        public Class<Double> getType() {
            return Double.class;
        }
    }

    /** Number of model pieces scored in the document. */
    public static final class DocumentPieceCount implements CoreAnnotation<Integer> {
        @Override
        public Class<Integer> getType() {
            return Integer.class;
        }
    }

    /** Share of exactly-zero causal attention weights over the document (lazylm.attentionStats). */
    public static final class DocumentSparsity implements CoreAnnotation<Double> {
        @Override
        public Class<Double> getType() {
            return Double.class;
        }
    }

    /** Mean attention weight on the first token over the document (lazylm.attentionStats). */
    public static final class DocumentSinkMass implements CoreAnnotation<Double> {
        @Override
        public Class<Double> getType() {
            return Double.class;
        }
    }
}

package dev.lazyattention.corenlp;

import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.util.CoreMap;

import java.util.List;

/**
 * A document's text with the character spans of its sentences and tokens. The spans come from CoreNLP's
 * character offsets; an annotation without text (built from tokens alone) gets a text rebuilt from each
 * token's preceding whitespace and original text.
 */
final class DocumentText {

    private final String text;
    private final int[][] tokenBegin;
    private final int[][] tokenEnd;
    private final int[] sentenceStart;
    private final int[] sentenceEnd;

    private DocumentText(String text, int[][] tokenBegin, int[][] tokenEnd) {
        this.text = text;
        this.tokenBegin = tokenBegin;
        this.tokenEnd = tokenEnd;
        sentenceStart = new int[tokenBegin.length];
        sentenceEnd = new int[tokenBegin.length];
        int previous = 0;
        for (int s = 0; s < tokenBegin.length; s++) {
            int n = tokenBegin[s].length;
            sentenceStart[s] = n == 0 ? previous : tokenBegin[s][0];
            sentenceEnd[s] = n == 0 ? previous : tokenEnd[s][n - 1];
            previous = sentenceEnd[s];
        }
    }

    static DocumentText of(Annotation annotation, List<CoreMap> sentences) {
        String text = annotation.get(CoreAnnotations.TextAnnotation.class);
        int[][] begin = new int[sentences.size()][];
        int[][] end = new int[sentences.size()][];
        StringBuilder rebuilt = text == null ? new StringBuilder() : null;
        for (int s = 0; s < sentences.size(); s++) {
            List<CoreLabel> tokens = sentences.get(s).get(CoreAnnotations.TokensAnnotation.class);
            int n = tokens == null ? 0 : tokens.size();
            begin[s] = new int[n];
            end[s] = new int[n];
            for (int k = 0; k < n; k++) {
                CoreLabel token = tokens.get(k);
                if (rebuilt != null) {
                    String before = token.before() == null ? (rebuilt.length() == 0 ? "" : " ") : token.before();
                    String word = token.originalText() == null ? token.word() : token.originalText();
                    rebuilt.append(before);
                    begin[s][k] = rebuilt.length();
                    rebuilt.append(word == null ? "" : word);
                    end[s][k] = rebuilt.length();
                } else {
                    begin[s][k] = token.beginPosition();
                    end[s][k] = token.endPosition();
                }
            }
        }
        String full = text != null ? text : rebuilt.toString();
        // Guard against offsets that do not fit the text (an annotation assembled by hand).
        for (int s = 0; s < begin.length; s++) {
            for (int k = 0; k < begin[s].length; k++) {
                begin[s][k] = Math.max(0, Math.min(begin[s][k], full.length()));
                end[s][k] = Math.max(begin[s][k], Math.min(end[s][k], full.length()));
            }
        }
        return new DocumentText(full, begin, end);
    }

    /** The text up to the end of the last sentence (what document scope scores). */
    String documentText() {
        return text.substring(0, documentLength());
    }

    /** Characters of {@link #documentText()}, without copying it. */
    int documentLength() {
        return sentenceEnd.length == 0 ? 0 : sentenceEnd[sentenceEnd.length - 1];
    }

    /** Characters {@code from} (inclusive) to {@code to} (exclusive) of the document. */
    String text(int from, int to) {
        return text.substring(from, to);
    }

    int sentenceStart(int s) {
        return sentenceStart[s];
    }

    int sentenceEnd(int s) {
        return sentenceEnd[s];
    }

    /** The text from the sentence's first token to its last. */
    String sentenceText(int s) {
        return text.substring(sentenceStart[s], sentenceEnd[s]);
    }

    /**
     * Spans that tile the sentence from {@code regionStart}: each token from the end of the previous one
     * (the first from {@code regionStart}) to its own end.
     *
     * @return {starts, ends}
     */
    int[][] tokenSpans(int s, int regionStart) {
        int n = tokenBegin[s].length;
        int[] starts = new int[n];
        int[] ends = new int[n];
        int previous = regionStart;
        for (int k = 0; k < n; k++) {
            starts[k] = Math.min(previous, tokenBegin[s][k]);
            ends[k] = tokenEnd[s][k];
            previous = ends[k];
        }
        return new int[][] {starts, ends};
    }
}

package dev.lazyattention.spark;

import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScore;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.tokenizer.BpeTokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores a batch of documents, and their sentences, in shared forward passes of a {@link SequenceScorer}.
 *
 * <p>A document is scored the way {@code CorpusEvaluator} scores one: {@code <|endoftext|>} first, then every
 * piece of the text given all before it, in sliding windows. A sentence is scored the way the CoreNLP annotator
 * scores one in sentence scope: alone, after {@code <|endoftext|>}. Bytes are counted as both count them
 * ({@link String#getBytes} in UTF-8).
 *
 * <p>Bad input never fails the batch: a null text, a document longer than {@code maxDocumentChars}, or one
 * whose splitting or scoring throws gets an {@code error} and no scores; the other documents are scored as
 * usual. An empty text scores log-probability 0 over 0 pieces, with no sentences. Not thread-safe (the
 * splitter is not); the model is shared.
 */
public final class DocumentBatchScorer {

    private final SequenceScorer scorer;
    private final BpeTokenizer tokenizer;
    private final SentenceSplitter splitter;
    private final OutputLevel level;
    private final int maxDocumentChars;

    public DocumentBatchScorer(LazyLanguageModel model, ScoringConfig config, OutputLevel level) {
        this.scorer = new SequenceScorer(model, config.options(model.config().contextLength(), "window"));
        this.tokenizer = model.tokenizer();
        this.splitter = level.scoresSentences() ? SentenceSplitter.create(config) : null;
        this.level = level;
        this.maxDocumentChars = config.maxDocumentChars();
    }

    /** A document's text cut into what will be scored; either {@code error} or the rest is set. */
    private static final class Prepared {
        String error;
        int[] documentTokens;
        long documentBytes;
        final List<TextSpan> spans = new ArrayList<>();
        final List<String> sentenceTexts = new ArrayList<>();
        final List<int[]> sentenceTokens = new ArrayList<>();
        /** Index of the document's request in the batch (-1: none), then of its sentences' requests. */
        int documentRequest = -1;
        final List<Integer> sentenceRequests = new ArrayList<>();
    }

    /** One result per text, in order. */
    public List<ScoredDocument> score(List<String> texts) {
        List<Prepared> documents = new ArrayList<>(texts.size());
        List<ScoringRequest> requests = new ArrayList<>();
        for (String text : texts) {
            Prepared p = prepare(text);
            documents.add(p);
            if (p.error == null) {
                addRequests(p, requests);
            }
        }
        List<SequenceScore> scores;
        try {
            scores = scorer.score(requests);
        } catch (RuntimeException batchFailure) {
            // Find the culprit: each document alone, so that one bad document costs only its own scores.
            List<ScoredDocument> results = new ArrayList<>(documents.size());
            for (int d = 0; d < documents.size(); d++) {
                results.add(scoreAlone(documents.get(d)));
            }
            return results;
        }
        List<ScoredDocument> results = new ArrayList<>(documents.size());
        for (int d = 0; d < documents.size(); d++) {
            results.add(collect(documents.get(d), scores));
        }
        return results;
    }

    private Prepared prepare(String text) {
        Prepared p = new Prepared();
        if (text == null) {
            p.error = "text is null";
            return p;
        }
        if (text.length() > maxDocumentChars) {
            p.error = "document of " + text.length() + " characters exceeds maxDocumentChars=" + maxDocumentChars;
            return p;
        }
        try {
            if (level.scoresDocuments()) {
                p.documentTokens = tokenizer.encode(text);
                p.documentBytes = text.getBytes(StandardCharsets.UTF_8).length;
            }
            if (level.scoresSentences()) {
                for (TextSpan span : splitter.split(text)) {
                    String sentence = span.of(text);
                    p.spans.add(span);
                    p.sentenceTexts.add(sentence);
                    p.sentenceTokens.add(tokenizer.encode(sentence));
                }
            }
        } catch (RuntimeException e) {
            p.error = "cannot split or tokenize the text: " + e;
        }
        return p;
    }

    /** Requests of one document appended to {@code requests}; empty texts need none (nothing to score). */
    private void addRequests(Prepared p, List<ScoringRequest> requests) {
        p.documentRequest = -1;
        p.sentenceRequests.clear();
        if (p.documentTokens != null && p.documentTokens.length > 0) {
            p.documentRequest = requests.size();
            requests.add(new ScoringRequest(tokenizer.afterEndOfText(p.documentTokens), 1));
        }
        for (int[] tokens : p.sentenceTokens) {
            p.sentenceRequests.add(tokens.length == 0 ? -1 : requests.size());
            if (tokens.length > 0) {
                requests.add(new ScoringRequest(tokenizer.afterEndOfText(tokens), 1));
            }
        }
    }

    private ScoredDocument scoreAlone(Prepared p) {
        if (p.error != null) {
            return ScoredDocument.failed(p.error);
        }
        List<ScoringRequest> requests = new ArrayList<>();
        addRequests(p, requests);
        try {
            return collect(p, scorer.score(requests));
        } catch (RuntimeException e) {
            return ScoredDocument.failed("scoring failed: " + e);
        }
    }

    private ScoredDocument collect(Prepared p, List<SequenceScore> scores) {
        if (p.error != null) {
            return ScoredDocument.failed(p.error);
        }
        TextScore document = null;
        if (level.scoresDocuments()) {
            document = p.documentRequest < 0 ? TextScore.empty(p.documentBytes)
                    : TextScore.of(scores.get(p.documentRequest), p.documentBytes);
        }
        List<ScoredSentence> sentences = new ArrayList<>(p.spans.size());
        for (int s = 0; s < p.spans.size(); s++) {
            long bytes = p.sentenceTexts.get(s).getBytes(StandardCharsets.UTF_8).length;
            int request = p.sentenceRequests.get(s);
            TextScore score = request < 0 ? TextScore.empty(bytes) : TextScore.of(scores.get(request), bytes);
            sentences.add(new ScoredSentence(s, p.spans.get(s), p.sentenceTexts.get(s), score));
        }
        return new ScoredDocument(document, sentences, null);
    }
}

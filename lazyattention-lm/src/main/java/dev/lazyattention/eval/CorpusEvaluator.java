package dev.lazyattention.eval;

import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.tokenizer.BpeTokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates a model on a corpus: every document is scored from its first token (conditioned on {@code
 * <|endoftext|>}, the document boundary the model saw in training, see {@link
 * dev.lazyattention.tokenizer.BpeTokenizer#afterEndOfText}) to its last, in sliding windows, by {@link
 * SequenceScorer}; and the mean loss over token windows with which the trainer validates.
 */
public final class CorpusEvaluator {

    private final LazyLanguageModel lm;
    private final ScoringOptions options;

    public CorpusEvaluator(LazyLanguageModel lm, ScoringOptions options) {
        this.lm = lm;
        this.options = options;
    }

    public EvalResult evaluate(TextCorpus corpus) {
        BpeTokenizer tokenizer = lm.tokenizer();
        List<ScoringRequest> requests = new ArrayList<>();
        long bytes = 0;
        for (String document : corpus.documents()) {
            int[] ids = tokenizer.encode(document);
            if (ids.length == 0) {
                continue;
            }
            requests.add(new ScoringRequest(tokenizer.afterEndOfText(ids), 1));
            bytes += document.getBytes(StandardCharsets.UTF_8).length;
        }
        if (requests.isEmpty()) {
            throw new IllegalArgumentException(corpus.description() + ": nothing to evaluate");
        }
        return score(requests, bytes);
    }

    /**
     * Mean next-token loss in nats over token sequences, each scored from its second token on given the
     * tokens before it: the trainer's validation loss, whose windows of {@code T + 1} tokens one window of
     * {@code T} inputs scores.
     *
     * @throws IllegalArgumentException if no sequence has a token to score
     */
    public double meanLoss(List<int[]> sequences) {
        List<ScoringRequest> requests = new ArrayList<>(sequences.size());
        for (int[] tokens : sequences) {
            if (tokens.length > 1) {
                requests.add(new ScoringRequest(tokens, 1));
            }
        }
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("no sequence has a token to score");
        }
        return score(requests, 0).loss();
    }

    private EvalResult score(List<ScoringRequest> requests, long bytes) {
        SequenceScorer scorer = new SequenceScorer(lm, options);
        double nll = 0;
        long tokens = 0;
        AttentionStats stats = options.attentionStats()
                ? new AttentionStats(lm.config().numLayers(), lm.config().numHeads()) : null;
        CollapseStats collapse = options.collapse() ? new CollapseStats(lm.config().numLayers()) : null;
        // Documents in groups, so that memory stays bounded on large corpora.
        int group = Math.max(1, options.batchSize() * 8);
        for (int from = 0; from < requests.size(); from += group) {
            for (SequenceScore score : scorer.score(requests.subList(from, Math.min(requests.size(), from + group)))) {
                nll -= score.logProbability();
                tokens += score.logProbabilities().length;
                if (stats != null) {
                    stats.merge(score.attention());
                }
                if (collapse != null) {
                    collapse.merge(score.collapse());
                }
            }
        }
        return new EvalResult(nll, tokens, bytes, stats, collapse);
    }
}

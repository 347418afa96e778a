package dev.lazyattention.eval;

import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.tokenizer.BpeTokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates a model on a corpus: every document is scored from its first token (conditioned on {@code
 * <|endoftext|>}, the document boundary the model saw in training) to its last, in sliding windows.
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
        int eos = tokenizer.endOfTextId();
        List<ScoringRequest> requests = new ArrayList<>();
        long bytes = 0;
        for (String document : corpus.documents()) {
            int[] ids = tokenizer.encode(document);
            if (ids.length == 0) {
                continue;
            }
            int[] tokens = new int[ids.length + 1];
            tokens[0] = eos;
            System.arraycopy(ids, 0, tokens, 1, ids.length);
            requests.add(new ScoringRequest(tokens, 1));
            bytes += document.getBytes(StandardCharsets.UTF_8).length;
        }
        if (requests.isEmpty()) {
            throw new IllegalArgumentException(corpus.description() + ": nothing to evaluate");
        }
        SequenceScorer scorer = new SequenceScorer(lm, options);
        double nll = 0;
        long tokens = 0;
        AttentionStats stats = options.attentionStats()
                ? new AttentionStats(lm.config().numLayers(), lm.config().numHeads()) : null;
        // Documents in groups, so that memory stays bounded on large corpora.
        int group = Math.max(1, options.batchSize() * 8);
        for (int from = 0; from < requests.size(); from += group) {
            for (SequenceScore score : scorer.score(requests.subList(from, Math.min(requests.size(), from + group)))) {
                nll -= score.logProbability();
                tokens += score.logProbabilities().length;
                if (stats != null) {
                    stats.merge(score.attention());
                }
            }
        }
        return new EvalResult(nll, tokens, bytes, stats);
    }
}

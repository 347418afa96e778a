package dev.lazyattention.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmOutput;
import dev.lazyattention.tokenizer.BpeTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Log-probabilities of token sequences under a model: the one scoring path behind evaluation ({@link
 * CorpusEvaluator}, the trainer's validation loss), {@link MultipleChoice}, the CoreNLP annotator and the
 * OpenNLP language model; the DJL translator and the generator's prompt read their forward passes through
 * its {@link ScoringPass}. Long sequences are scored in sliding windows (see {@link ScoringOptions});
 * windows of many sequences are packed into passes with right padding, which causal attention never looks
 * at, so batched results equal unbatched ones.
 *
 * <p>Every position from {@code firstTarget - 1} to the end counts once in the attention diagnostics: in
 * the window that scores the token it predicts (the last position in the last window). The collapse
 * statistics ({@link CollapseStats}) count every window once, over all its tokens but the first.
 *
 * <p>Thread-safe: it holds no mutable state; concurrent calls share the model.
 */
public final class SequenceScorer {

    /** Largest size of the attention weights of all layers that one pass with attention statistics keeps. */
    public static final long STATS_WEIGHT_BYTES = 2L << 30;

    private final LazyLanguageModel lm;
    private final ScoringOptions options;

    public SequenceScorer(LazyLanguageModel lm, ScoringOptions options) {
        if (options.windowLength() > lm.config().contextLength()) {
            throw new IllegalArgumentException("window length " + options.windowLength()
                    + " is longer than the model's context length " + lm.config().contextLength());
        }
        this.lm = lm;
        this.options = options;
    }

    public ScoringOptions options() {
        return options;
    }

    public LazyLanguageModel model() {
        return lm;
    }

    /** Per request, what the batches fill in. */
    private static final class Result {
        final double[] logProbs;
        final AttentionStats attention;
        final CollapseStats collapse;
        final List<AttentionStats> segments = new ArrayList<>();
        final List<List<TokenPrediction>> predictions = new ArrayList<>();

        Result(ScoringRequest r, boolean stats, boolean collapsed, boolean predict, int layers, int heads) {
            logProbs = new double[r.targets()];
            attention = stats ? new AttentionStats(layers, heads) : null;
            collapse = collapsed ? new CollapseStats(layers) : null;
            if (stats) {
                for (int s = 0; s < r.segmentCount(); s++) {
                    segments.add(new AttentionStats(layers, heads));
                }
            }
            if (predict) {
                for (int i = 0; i < r.predictionPositions().length; i++) {
                    predictions.add(List.of());
                }
            }
        }
    }

    /** Scores every request; the result list is in request order. */
    public List<SequenceScore> score(List<ScoringRequest> requests) {
        int vocab = lm.config().vocabSize();
        for (ScoringRequest r : requests) {
            for (int id : r.tokens()) {
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
                }
            }
        }
        List<ScoringWindow> windows = new ArrayList<>();
        List<Result> results = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            windows.addAll(windowsOf(i, requests.get(i), options, startToken()));
            results.add(new Result(requests.get(i), options.attentionStats(), options.collapse(), options.topK() > 0,
                    lm.config().numLayers(), lm.config().numHeads()));
        }
        // Similar lengths together waste less padding; results go back by request index.
        windows.sort((a, b) -> Integer.compare(b.length(), a.length()));
        int batchSize = options.attentionStats() ? Math.min(options.batchSize(), 4) : options.batchSize();
        if (!windows.isEmpty()) {
            rowsPerBatch(windows.get(0).length(), batchSize); // refuses before anything is computed
        }
        try {
            lm.withReadLock(() -> {
                for (int from = 0; from < windows.size(); ) {
                    int to = Math.min(windows.size(), from + rowsPerBatch(windows.get(from).length(), batchSize));
                    runBatch(requests, windows.subList(from, to), results);
                    from = to;
                }
                return null;
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<SequenceScore> out = new ArrayList<>(requests.size());
        for (Result r : results) {
            out.add(new SequenceScore(r.logProbs, r.attention, r.segments, r.predictions, r.collapse));
        }
        return out;
    }

    /**
     * Sequences per forward pass for windows of {@code width} tokens. The attention scores of a pass are
     * bounded by the attention block, which computes them in blocks of queries when they would pass {@code
     * dev.lazyattention.attention.LazyAttentionBlock.SCORE_BYTES}. Attention statistics need the weights {@code [B, H, T, T]} of every
     * layer at once, which query blocks cannot shrink: the batch is cut so that they fit {@link
     * #STATS_WEIGHT_BYTES}, and a window whose weights alone do not fit is refused before anything is
     * allocated.
     *
     * @throws IllegalArgumentException if one window's attention weights pass {@link #STATS_WEIGHT_BYTES}
     */
    private int rowsPerBatch(int width, int batchSize) {
        if (!options.attentionStats()) {
            return batchSize;
        }
        long perRow = (long) lm.config().numLayers() * lm.config().numHeads() * width * width * Float.BYTES;
        if (perRow > STATS_WEIGHT_BYTES) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "attention statistics of a %d-token window need %d layers x %d heads x %d x %d float32 weights"
                            + " = %.1f GiB, more than the %d GiB allowed; score with a shorter window"
                            + " (ScoringOptions.withWindow) or without attention statistics",
                    width, lm.config().numLayers(), lm.config().numHeads(), width, width, perRow / (double) (1L << 30),
                    STATS_WEIGHT_BYTES >> 30));
        }
        return (int) Math.max(1, Math.min(batchSize, STATS_WEIGHT_BYTES / perRow));
    }

    /** Scores one request. */
    public SequenceScore score(ScoringRequest request) {
        return score(List.of(request)).get(0);
    }

    /**
     * The windows of one request: each holds at most {@code windowLength} inputs and scores the targets whose
     * preceding token is one of its inputs that no earlier window scored. The first window starts at the
     * beginning (or {@code windowLength - stride} tokens before the first target); each later one starts
     * {@code windowLength - stride} tokens before its first target, so every target after the first window
     * has at least that much context. The last token is an input only when something is computed at its
     * position (attention or collapse statistics, next-token predictions); a window that only owns that
     * position gets a whole window of context.
     *
     * <p>For a model trained with a start token ({@code startToken >= 0}) a window whose first token is not
     * that token gets it prepended, and so holds one token of the request fewer: every window the model
     * sees then begins as its training windows began.
     */
    static List<ScoringWindow> windowsOf(int index, ScoringRequest r, ScoringOptions options, int startToken) {
        int[] tokens = r.tokens();
        int n = tokens.length;
        int length = options.windowLength();
        int context = length - options.stride();
        int inputs = options.topK() > 0 || options.attentionStats() || options.collapse() ? n : n - 1;
        List<ScoringWindow> list = new ArrayList<>();
        for (int from = r.firstTarget(); from - 1 < inputs; ) {
            int start = from < n ? Math.max(0, from - context) : Math.max(0, n - length);
            boolean prepend = startToken >= 0 && tokens[start] != startToken;
            if (prepend && from >= n) {
                start = Math.max(0, n - (length - 1)); // the last position alone: a whole window with the start token
                prepend = tokens[start] != startToken;
            }
            int end = Math.min(inputs, start + length - (prepend ? 1 : 0));
            list.add(new ScoringWindow(index, start, end, from, prepend));
            from = end + 1;
        }
        return list;
    }

    /** The token every window begins with for this model ({@code dev.lazyattention.model.LmConfig.startToken()}), or -1. */
    private int startToken() {
        return startTokenOf(lm);
    }

    /**
     * The end-of-text id when {@code lm} was trained with it at position 0 of every window (every scoring
     * window then begins with it), else -1.
     */
    public static int startTokenOf(LazyLanguageModel lm) {
        return lm.config().startToken() ? lm.tokenizer().endOfTextId() : -1;
    }

    /** One forward pass over {@code batch}; its results go into the requests' {@link Result}s. */
    private void runBatch(List<ScoringRequest> requests, List<ScoringWindow> batch, List<Result> results) {
        ScoringPass pass = new ScoringPass(requests, batch, lm.tokenizer().endOfTextId());
        try (NDManager manager = lm.newManager()) {
            LmOutput out = forward(pass, manager);
            NDArray logSoftmax = ScoringPass.logSoftmax(out.logits()); // [B, T, V]
            double[][] logProbs = new double[requests.size()][];
            for (ScoringWindow w : batch) {
                logProbs[w.request()] = results.get(w.request()).logProbs;
            }
            pass.collect(logSoftmax, logProbs);
            if (options.attentionStats()) {
                accumulateAttention(requests, pass, out.attentionWeights(), results);
            }
            if (options.collapse()) {
                accumulateCollapse(pass, out, results);
            }
            if (options.topK() > 0) {
                collectPredictions(requests, pass, logSoftmax, results);
            }
        }
    }

    private LmOutput forward(ScoringPass pass, NDManager manager) {
        AttentionContext context = AttentionContext.builder(manager, pass.rows(), pass.width())
                .optReturnWeights(options.attentionStats())
                .optQueryChunk(options.queryChunk())
                .build();
        return lm.block().forward(lm.parameterStore(manager), pass.ids(manager), null, context, false);
    }

    /** Adds each owned query's attention to its request's statistics (and its segment's). */
    private static void accumulateAttention(List<ScoringRequest> requests, ScoringPass pass, List<NDArray> weights,
            List<Result> results) {
        List<ScoringWindow> windows = pass.windows();
        AttentionStats.accumulate(weights, pass.lengths(), (row, query) -> {
            ScoringWindow w = windows.get(row);
            int position = w.start() + query - w.offset(); // the start token maps before start: owned by none
            if (!w.owns(position)) {
                return new AttentionStats[0];
            }
            Result result = results.get(w.request());
            int[] segments = requests.get(w.request()).segments();
            int segment = segments == null ? -1 : segments[position];
            return segment < 0 ? new AttentionStats[] {result.attention}
                    : new AttentionStats[] {result.attention, result.segments.get(segment)};
        });
    }

    /**
     * Adds each window's representations to its request's collapse statistics: the residual stream after
     * every layer and the final normalised hidden state, both from the scoring pass itself.
     */
    private static void accumulateCollapse(ScoringPass pass, LmOutput out, List<Result> results) {
        List<ScoringWindow> windows = pass.windows();
        int[] from = new int[windows.size()];
        int[] to = new int[windows.size()];
        CollapseStats[] target = new CollapseStats[windows.size()];
        for (int b = 0; b < windows.size(); b++) {
            ScoringWindow w = windows.get(b);
            from[b] = 1; // the first position is left out (see CollapseStats)
            to[b] = w.length();
            target[b] = results.get(w.request()).collapse;
        }
        List<NDArray> states = new ArrayList<>(out.layerOutputs()); // per layer [B, T, C]
        states.add(out.hidden()); // [B, T, C]
        CollapseStats.accumulate(states, from, to, target);
    }

    /** The most likely next tokens at each prediction position that a window of the pass owns. */
    private void collectPredictions(List<ScoringRequest> requests, ScoringPass pass, NDArray logSoftmax,
            List<Result> results) {
        List<ScoringWindow> windows = pass.windows();
        for (int b = 0; b < windows.size(); b++) {
            ScoringWindow w = windows.get(b);
            int[] positions = requests.get(w.request()).predictionPositions();
            for (int i = 0; i < positions.length; i++) {
                if (w.owns(positions[i])) {
                    results.get(w.request()).predictions.set(i,
                            topK(logSoftmax.get(b).get(positions[i] - w.start() + w.offset()), options.topK()));
                }
            }
        }
    }

    private List<TokenPrediction> topK(NDArray logProbabilities, int k) {
        NDList top = logProbabilities.topK(Math.min(k, lm.config().vocabSize()), -1, true, true);
        float[] values = top.get(0).toFloatArray();
        long[] ids = top.get(1).toLongArray();
        BpeTokenizer tokenizer = lm.tokenizer();
        List<TokenPrediction> list = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            int id = (int) ids[i];
            list.add(new TokenPrediction(id, new String(tokenizer.tokenBytes(id), StandardCharsets.UTF_8),
                    Math.exp(values[i])));
        }
        return list;
    }
}

package dev.lazyattention.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.attention.LazyAttentionBlock;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmOutput;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.util.Tensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Log-probabilities of token sequences under a model, the engine behind evaluation, the CoreNLP annotator
 * and the OpenNLP language model. Long sequences are scored in sliding windows (see {@link
 * ScoringOptions}); windows of many sequences are batched with right padding, which causal attention
 * never looks at, so batched results equal unbatched ones.
 *
 * <p>Every position from {@code firstTarget - 1} to the end counts once in the attention diagnostics: in
 * the window that scores the token it predicts (the last position in the last window).
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

    /**
     * One forward window: tokens [start, end) of a request. It scores targets [from, end) and owns the
     * positions [from - 1, end - 1), or [from - 1, end) when it is the request's last window.
     */
    private record Window(int request, int start, int end, int from, boolean last) {
        int length() {
            return end - start;
        }

        boolean owns(int position) {
            return position >= from - 1 && (position < end - 1 || (last && position == end - 1));
        }
    }

    /** Per request, what the batches fill in. */
    private static final class Result {
        final double[] logProbs;
        final AttentionStats attention;
        final List<AttentionStats> segments = new ArrayList<>();
        final List<List<TokenPrediction>> predictions = new ArrayList<>();

        Result(ScoringRequest r, boolean stats, boolean predict, int layers, int heads) {
            logProbs = new double[r.targets()];
            attention = stats ? new AttentionStats(layers, heads) : null;
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
        List<Window> windows = new ArrayList<>();
        List<Result> results = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            windows.addAll(windowsOf(i, requests.get(i)));
            results.add(new Result(requests.get(i), options.attentionStats(), options.topK() > 0,
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
            out.add(new SequenceScore(r.logProbs, r.attention, r.segments, r.predictions));
        }
        return out;
    }

    /**
     * Sequences per forward pass for windows of {@code width} tokens. The attention scores of a pass are
     * bounded by the attention block, which computes them in blocks of queries when they would pass {@link
     * LazyAttentionBlock#SCORE_BYTES}. Attention statistics need the weights {@code [B, H, T, T]} of every
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

    private List<Window> windowsOf(int index, ScoringRequest r) {
        int n = r.tokens().length;
        int length = options.windowLength();
        int context = length - options.stride();
        List<Window> list = new ArrayList<>();
        int from = r.firstTarget();
        while (from < n) {
            int start = Math.max(0, from - context);
            int end = Math.min(n, start + length);
            list.add(new Window(index, start, end, from, end == n));
            from = end;
        }
        if (list.isEmpty() && (options.topK() > 0 || options.attentionStats())) {
            // Nothing to score, but the last position still predicts and attends.
            list.add(new Window(index, Math.max(0, n - length), n, n, true));
        }
        return list;
    }

    private void runBatch(List<ScoringRequest> requests, List<Window> batch, List<Result> results) {
        int rows = batch.size();
        int width = batch.get(0).length(); // sorted longest first
        int pad = lm.tokenizer().endOfTextId();
        long[] input = new long[rows * width];
        long[] labels = new long[rows * width];
        int[] lengths = new int[rows];
        for (int b = 0; b < rows; b++) {
            Window w = batch.get(b);
            int[] tokens = requests.get(w.request()).tokens();
            lengths[b] = w.length();
            Arrays.fill(input, b * width, (b + 1) * width, pad);
            for (int p = 0; p < w.length(); p++) {
                input[b * width + p] = tokens[w.start() + p];
                if (w.start() + p + 1 < tokens.length) {
                    labels[b * width + p] = tokens[w.start() + p + 1];
                }
            }
        }
        try (NDManager manager = lm.newManager()) {
            Shape shape = new Shape(rows, width);
            ParameterStore ps = lm.parameterStore(manager);
            AttentionContext context = AttentionContext.builder(manager, rows, width)
                    .optReturnWeights(options.attentionStats())
                    .optQueryChunk(options.queryChunk())
                    .build();
            LmOutput out = lm.block().forward(ps, Tensors.of(manager, input, shape), null, context, false);
            NDArray logSoftmax = out.logits().logSoftmax(-1); // [B, T, V]
            float[] picked = logSoftmax.gather(Tensors.of(manager, labels, shape).expandDims(-1), -1)
                    .toFloatArray(); // [B, T]
            for (int b = 0; b < rows; b++) {
                Window w = batch.get(b);
                ScoringRequest r = requests.get(w.request());
                for (int t = w.from(); t < w.end(); t++) {
                    results.get(w.request()).logProbs[t - r.firstTarget()] = picked[b * width + (t - 1 - w.start())];
                }
            }
            if (options.attentionStats()) {
                AttentionStats.accumulate(out.attentionWeights(), lengths, (row, query) -> {
                    Window w = batch.get(row);
                    int position = w.start() + query;
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
            if (options.topK() > 0) {
                for (int b = 0; b < rows; b++) {
                    Window w = batch.get(b);
                    int[] positions = requests.get(w.request()).predictionPositions();
                    for (int i = 0; i < positions.length; i++) {
                        if (w.owns(positions[i]) && positions[i] >= w.start()) {
                            results.get(w.request()).predictions.set(i,
                                    topK(logSoftmax.get(b).get(positions[i] - w.start()), options.topK()));
                        }
                    }
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

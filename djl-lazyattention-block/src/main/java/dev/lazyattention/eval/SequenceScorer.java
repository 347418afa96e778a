package dev.lazyattention.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.model.LazyLanguageModel;
import dev.lazyattention.model.LmOutput;
import dev.lazyattention.tokenizer.BpeTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import dev.lazyattention.util.Tensors;

/**
 * Log-probabilities of token sequences under a model, the engine behind evaluation, the CoreNLP annotator
 * and the OpenNLP language model. Long sequences are scored in sliding windows (see {@link
 * ScoringOptions}); windows of many sequences are batched with right padding, which causal attention
 * never looks at, so batched results equal unbatched ones.
 *
 * <p>Thread-safe: it holds no mutable state; concurrent calls share the model.
 */
public final class SequenceScorer {

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

    /** One forward window: tokens [start, end) of a request, scoring targets [from, end). */
    private record Window(int request, int start, int end, int from) {
        int length() {
            return end - start;
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
        for (int i = 0; i < requests.size(); i++) {
            windows.addAll(windowsOf(i, requests.get(i)));
        }
        double[][] logProbs = new double[requests.size()][];
        AttentionStats[] stats = new AttentionStats[requests.size()];
        List<List<TokenPrediction>> next = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            logProbs[i] = new double[requests.get(i).targets()];
            if (options.attentionStats()) {
                stats[i] = new AttentionStats(lm.config().numLayers(), lm.config().numHeads());
            }
            next.add(List.of());
        }
        // Similar lengths together waste less padding; results go back by request index.
        windows.sort((a, b) -> Integer.compare(b.length(), a.length()));
        int batchSize = options.attentionStats() ? Math.min(options.batchSize(), 4) : options.batchSize();
        try {
            lm.withReadLock(() -> {
                for (int from = 0; from < windows.size(); from += batchSize) {
                    runBatch(requests, windows.subList(from, Math.min(windows.size(), from + batchSize)),
                            logProbs, stats, next);
                }
                return null;
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<SequenceScore> out = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            out.add(new SequenceScore(logProbs[i], stats[i], next.get(i)));
        }
        return out;
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
            list.add(new Window(index, start, end, from));
            from = end;
        }
        boolean needsPass = options.topK() > 0 || options.attentionStats();
        if (list.isEmpty() && needsPass) {
            list.add(new Window(index, Math.max(0, n - length), n, n));
        }
        return list;
    }

    private void runBatch(List<ScoringRequest> requests, List<Window> batch, double[][] logProbs,
            AttentionStats[] stats, List<List<TokenPrediction>> next) {
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
                    .build();
            LmOutput out = lm.block().forward(ps, Tensors.of(manager, input, shape), null, context, false);
            NDArray logSoftmax = out.logits().logSoftmax(-1); // [B, T, V]
            float[] picked = logSoftmax.gather(Tensors.of(manager, labels, shape).expandDims(-1), -1)
                    .toFloatArray(); // [B, T]
            for (int b = 0; b < rows; b++) {
                Window w = batch.get(b);
                ScoringRequest r = requests.get(w.request());
                for (int t = w.from(); t < w.end(); t++) {
                    logProbs[w.request()][t - r.firstTarget()] = picked[b * width + (t - 1 - w.start())];
                }
            }
            if (options.attentionStats()) {
                AttentionStats[] target = new AttentionStats[rows];
                for (int b = 0; b < rows; b++) {
                    target[b] = stats[batch.get(b).request()];
                }
                AttentionStats.accumulate(out.attentionWeights(), lengths, target);
            }
            if (options.topK() > 0) {
                for (int b = 0; b < rows; b++) {
                    Window w = batch.get(b);
                    if (w.end() == requests.get(w.request()).tokens().length) {
                        next.set(w.request(), topK(logSoftmax.get(b).get(w.length() - 1), options.topK()));
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

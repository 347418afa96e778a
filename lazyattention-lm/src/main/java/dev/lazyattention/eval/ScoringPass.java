package dev.lazyattention.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lazyattention.util.Tensors;

import java.util.Arrays;
import java.util.List;

/**
 * One forward pass of scoring: windows of token sequences packed as the rows of one {@code [B, T]} ids
 * array, right-padded (causal attention never looks at right padding, so a row gives what it gives alone),
 * and, after the forward pass, each target's log-probability read from the logits: {@code log_softmax} over
 * the vocabulary at the position before the target, at the target's id.
 *
 * <p>{@link SequenceScorer} runs all its windows through passes. Code that runs the forward pass itself
 * (the DJL translator, where DJL's {@code Predictor} runs the block; the generator, whose first step also
 * fills its KV cache) packs a sequence with {@link #whole(ScoringRequest)} and reads it back with {@link
 * #logProbabilities(NDArray)}, so every path feeds the model the same rows and reads the same positions.
 */
public final class ScoringPass {

    private final List<ScoringRequest> requests;
    private final List<ScoringWindow> windows;
    private final int width;
    private final long[] ids;
    private final long[] labels;

    /**
     * @param windows the rows, longest first
     * @param pad the id that fills a row after its window (never attended to), and the start token of the
     *     windows that have one (the end-of-text token)
     */
    ScoringPass(List<ScoringRequest> requests, List<ScoringWindow> windows, int pad) {
        this.requests = requests;
        this.windows = List.copyOf(windows);
        this.width = windows.get(0).length();
        int rows = windows.size();
        ids = new long[rows * width];
        labels = new long[rows * width];
        for (int b = 0; b < rows; b++) {
            ScoringWindow w = windows.get(b);
            int[] tokens = requests.get(w.request()).tokens();
            Arrays.fill(ids, b * width, (b + 1) * width, pad); // a start token is the pad id too
            for (int p = w.offset(); p < w.length(); p++) {
                int i = w.start() + p - w.offset(); // the request's token at row position p
                ids[b * width + p] = tokens[i];
                if (i + 1 < tokens.length) {
                    labels[b * width + p] = tokens[i + 1];
                }
            }
        }
    }

    /**
     * A pass of one row holding every token of {@code request}, the last one included (so that the forward
     * pass also predicts the token after it). The caller checks that the sequence fits its model's context.
     */
    public static ScoringPass whole(ScoringRequest request) {
        int n = request.tokens().length;
        return new ScoringPass(List.of(request), List.of(new ScoringWindow(0, 0, n, request.firstTarget())), 0);
    }

    /** Number of rows (windows). */
    public int rows() {
        return windows.size();
    }

    /** Tokens per row: the longest window's length. */
    public int width() {
        return width;
    }

    List<ScoringWindow> windows() {
        return windows;
    }

    /** Lengths of the rows without their padding. */
    int[] lengths() {
        return windows.stream().mapToInt(ScoringWindow::length).toArray();
    }

    /** The input ids {@code [rows, width]} int64 on {@code manager}. */
    public NDArray ids(NDManager manager) {
        return Tensors.of(manager, ids, new Shape(windows.size(), width));
    }

    /** Log-probabilities over the vocabulary {@code [rows, width, V]} from the logits of the forward pass. */
    static NDArray logSoftmax(NDArray logits) {
        return logits.logSoftmax(-1);
    }

    /**
     * Writes each window's targets into {@code logProbabilities[request]}, which holds one entry per target
     * of that request ({@code tokens[firstTarget]} first).
     *
     * @param logSoftmax {@code [rows, width, V]} from {@link #logSoftmax}
     */
    void collect(NDArray logSoftmax, double[][] logProbabilities) {
        NDManager manager = logSoftmax.getManager();
        float[] picked = logSoftmax.gather(Tensors.of(manager, labels, new Shape(windows.size(), width, 1)), -1)
                .toFloatArray(); // [B, T]: each position's log-probability of the token after it
        for (int b = 0; b < windows.size(); b++) {
            ScoringWindow w = windows.get(b);
            ScoringRequest r = requests.get(w.request());
            double[] out = logProbabilities[w.request()];
            for (int t = w.from(); t < w.targetEnd(r.tokens().length); t++) {
                out[t - r.firstTarget()] = picked[b * width + (t - 1 - w.start() + w.offset())];
            }
        }
    }

    /**
     * For a pass of one request (see {@link #whole}): the log-probability of each of its targets, in order,
     * from the logits {@code [1, T, V]} of a forward pass over {@link #ids}.
     */
    public double[] logProbabilities(NDArray logits) {
        if (requests.size() != 1) {
            throw new IllegalStateException("a pass of " + requests.size() + " requests; use SequenceScorer");
        }
        double[][] out = {new double[requests.get(0).targets()]};
        collect(logSoftmax(logits), out);
        return out[0];
    }
}

package dev.lazyattention.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.eval.CollapseStats;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringPass;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.DecoderLayer;
import dev.lazyattention.model.LmOutput;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.Encoding;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code lazyattn serve} shows of one text under one model: each token's log-probability and the
 * model's most likely tokens at its place, every head's sparsity, sink mass and tau, and the attention
 * weights of a chosen layer. One forward pass with attention weights (the path of the experiment report's
 * attention maps); the log-probabilities come from the same pass and equal {@code SequenceScorer}'s (tested).
 * The text's representational collapse per layer ({@link CollapseStats}: the text is one window) comes from
 * {@code SequenceScorer}, as {@code eval} computes it.
 *
 * <p>The text is scored after the end-of-text token, as evaluation scores a document: position 0 of every
 * map is that token, so the sink mass is the weight on it. Thread-safe: it holds no mutable state.
 */
final class AttentionAnalyzer {

    /** Most likely tokens reported at each position. */
    static final int TOP_K = 5;

    private final String name;
    private final LazyLanguageModel lm;
    private final List<float[]> tau;

    AttentionAnalyzer(String name, LazyLanguageModel lm) {
        this.name = name;
        this.lm = lm;
        tau = new ArrayList<>();
        for (DecoderLayer layer : lm.block().layers()) {
            Parameter t = layer.attention().tau(); // null for variants without Elastic-Softmax
            tau.add(t == null ? null : t.getArray().toType(DataType.FLOAT32, false).toFloatArray());
        }
    }

    LazyLanguageModel model() {
        return lm;
    }

    int layers() {
        return lm.config().numLayers();
    }

    int heads() {
        return lm.config().numHeads();
    }

    /** Most text tokens one analysis takes: the context less the end-of-text token in front. */
    int maxTokens() {
        return lm.config().contextLength() - 1;
    }

    /** What the page shows of the model before any text: name, configuration, tau. */
    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("config", lm.config().toString());
        m.put("variant", lm.config().attention().name());
        m.put("layers", layers());
        m.put("heads", heads());
        m.put("contextLength", lm.config().contextLength());
        m.put("maxTokens", maxTokens());
        m.put("parameters", lm.parameterCount());
        m.put("tau", tau);
        return m;
    }

    /** Tokens of {@code text} (no end-of-text token). */
    Encoding encode(String text) {
        return lm.tokenizer().encodeWithOffsets(text);
    }

    /**
     * Analyses {@code text}; {@code layer} and {@code head} are clamped to this model's ranges (a compared
     * model may have fewer).
     *
     * @param allHeads also return the weights of every head of {@code layer}
     * @throws IllegalArgumentException if the text has more than {@link #maxTokens()} tokens
     */
    Map<String, Object> analyze(String text, int layer, int head, boolean allHeads) throws IOException {
        Encoding encoding = encode(text);
        int count = encoding.size();
        if (count > maxTokens()) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "the text is %d tokens for %s; its context takes at most %d after the start token", count, name,
                    maxTokens()));
        }
        int layerUsed = Math.max(0, Math.min(layer, layers() - 1));
        int headUsed = Math.max(0, Math.min(head, heads() - 1));
        BpeTokenizer tokenizer = lm.tokenizer();
        int[] input = tokenizer.afterEndOfText(encoding.ids());
        int n = input.length;
        ScoringPass pass = ScoringPass.whole(new ScoringRequest(input, 1));
        CollapseStats collapse = new SequenceScorer(lm, ScoringOptions.defaults(lm.config().contextLength())
                .withCollapse(true)).score(new ScoringRequest(input, 1)).collapse();
        return lm.withReadLock(() -> {
            try (NDManager manager = lm.newManager()) {
                AttentionContext ctx = AttentionContext.builder(manager, 1, n).optReturnWeights(true).build();
                LmOutput out = lm.block().forward(lm.parameterStore(manager), pass.ids(manager), null, ctx, false);
                NDArray logits = out.logits().toType(DataType.FLOAT32, false); // [1, T, V]
                double[] logProbabilities = pass.logProbabilities(logits); // [T-1]: each token after the first
                NDArray logSoftmax = logits.logSoftmax(-1).get(0); // [T, V]
                int vocab = Math.toIntExact(logSoftmax.getShape().get(1));
                NDList top = logSoftmax.topK(Math.min(TOP_K, vocab), -1, true, true);
                float[] topValues = top.get(0).toFloatArray();
                long[] topIds = top.get(1).toLongArray();
                int k = Math.min(TOP_K, vocab);

                List<Map<String, Object>> tokens = new ArrayList<>(n);
                Map<String, Object> start = new LinkedHashMap<>();
                start.put("text", BpeTokenizer.END_OF_TEXT);
                start.put("id", tokenizer.endOfTextId());
                start.put("start", 0);
                start.put("end", 0);
                start.put("special", true);
                tokens.add(start);
                double total = 0;
                for (int i = 1; i < n; i++) {
                    int id = input[i];
                    double lp = logProbabilities[i - 1];
                    total += lp;
                    Map<String, Object> t = new LinkedHashMap<>();
                    t.put("text", new String(tokenizer.tokenBytes(id), StandardCharsets.UTF_8));
                    t.put("id", id);
                    t.put("start", encoding.charStart()[i - 1]);
                    t.put("end", encoding.charEnd()[i - 1]);
                    t.put("logProb", lp);
                    t.put("bits", -lp / Math.log(2));
                    t.put("top", predictions(topValues, topIds, (i - 1) * k, k));
                    tokens.add(t);
                }

                List<float[]> weights = new ArrayList<>(layers());
                for (NDArray a : out.attentionWeights()) {
                    weights.add(a.toType(DataType.FLOAT32, false).toFloatArray()); // [1, H, n, n]
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("model", name);
                m.put("tokens", tokens);
                m.put("nextTokens", predictions(topValues, topIds, (n - 1) * k, k));
                m.put("logProb", total);
                m.put("bitsPerToken", count == 0 ? 0.0 : -total / Math.log(2) / count);
                m.put("layers", layers());
                m.put("heads", heads());
                m.put("layer", layerUsed);
                m.put("head", headUsed);
                m.put("summary", summary(weights, n));
                m.put("collapse", collapse(collapse));
                m.put("weights", rows(weights.get(layerUsed), headUsed, n));
                if (allHeads) {
                    List<float[][]> layerWeights = new ArrayList<>(heads());
                    for (int h = 0; h < heads(); h++) {
                        layerWeights.add(rows(weights.get(layerUsed), h, n));
                    }
                    m.put("layerWeights", layerWeights);
                }
                return m;
            }
        });
    }

    private List<Map<String, Object>> predictions(float[] values, long[] ids, int from, int k) {
        List<Map<String, Object>> list = new ArrayList<>(k);
        for (int j = from; j < from + k; j++) {
            int id = (int) ids[j];
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("text", new String(lm.tokenizer().tokenBytes(id), StandardCharsets.UTF_8));
            p.put("id", id);
            p.put("logProb", (double) values[j]);
            p.put("probability", Math.exp(values[j]));
            list.add(p);
        }
        return list;
    }

    /**
     * Per layer, the mean pairwise cosine and the effective rank of the text's tokens after the start token
     * (null where the text has fewer than two), and those of the final normalised hidden state.
     */
    private static Map<String, Object> collapse(CollapseStats c) {
        Map<String, Object> m = new LinkedHashMap<>();
        boolean measured = c.windows() > 0;
        m.put("meanCosine", measured ? c.meanCosinePerLayer() : null);
        m.put("effectiveRank", measured ? c.effectiveRankPerLayer() : null);
        m.put("meanCosineFinal", measured ? c.meanCosineFinal() : null);
        m.put("effectiveRankFinal", measured ? c.effectiveRankFinal() : null);
        return m;
    }

    /** Causal rows of one head: row i holds the weights of keys 0..i. */
    private static float[][] rows(float[] a, int head, int n) {
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = new float[i + 1];
            System.arraycopy(a, (head * n + i) * n, rows[i], 0, i + 1);
        }
        return rows;
    }

    /**
     * Per layer and head: sparsity (share of exactly-zero causal weights over all queries), sink mass (mean
     * weight on position 0 over queries i >= 1, as {@code AttentionStats} counts them), surviving mass (mean row
     * sum) and tau.
     */
    private List<List<Map<String, Object>>> summary(List<float[]> weights, int n) {
        List<List<Map<String, Object>>> layers = new ArrayList<>();
        for (int l = 0; l < weights.size(); l++) {
            float[] a = weights.get(l);
            List<Map<String, Object>> heads = new ArrayList<>();
            for (int h = 0; h < heads(); h++) {
                long zeros = 0;
                double sink = 0;
                double rowSum = 0;
                for (int i = 0; i < n; i++) {
                    int base = (h * n + i) * n;
                    for (int j = 0; j <= i; j++) {
                        float w = a[base + j];
                        zeros += w == 0f ? 1 : 0;
                        rowSum += w;
                    }
                    if (i >= 1) {
                        sink += a[base];
                    }
                }
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("sparsity", zeros / (n * (n + 1) / 2.0));
                s.put("sinkMass", n > 1 ? sink / (n - 1) : Double.NaN);
                s.put("survivingMass", rowSum / n);
                s.put("tau", tau.get(l) == null ? null : (double) tau.get(l)[h]);
                heads.add(s);
            }
            layers.add(heads);
        }
        return layers;
    }
}

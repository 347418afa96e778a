package dev.lazyattention.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The language model's forward pass in plain Java float64, written loop by loop from the definitions
 * (docs/design.md §3 and the Javadoc of LazyLmBlock, DecoderLayer, RmsNorm, SwiGlu and LazyAttentionBlock) without
 * DJL, from a model's parameters: the independent reference that every scoring path is compared with. One
 * sequence from position 0, no padding, no cache, no windows.
 *
 * <pre>
 * x = E[ids]
 * per layer: x += Wo · attention(rms(x) · g1);  x += down(silu(gate(rms(x) · g2)) * up(rms(x) · g2))
 * logits = head · (rms(x) · g)
 * attention: q, k = RoPE(Wq h), RoPE(Wk h) (rotate-half, absolute positions), v = Wv h; query head h uses
 *   key head h / (H / G); s[i, j] = q_i · k_j / sqrt(D) + b[h, i - j] (i - j &lt; Lb), j &lt;= i;
 *   a = softmax(s), or ReLU(softmax(s) + tau[h] / (i + 1)) with Elastic-Softmax, or exp(s) / (1 + sum exp(s))
 *   with the off-by-one softmax, or exp(s) / (exp(sink[h]) + sum exp(s)) with the learned sink; the gated variant multiplies head h's output a v by sigmoid(Wg[h] · h_i)
 * </pre>
 */
public final class ReferenceLm {

    private static final class Layer {
        double[] attentionGain;
        double[] mlpGain;
        double[][] wq;
        double[][] wk;
        double[][] wv;
        double[][] wo;
        double[] tau; // [H] or null
        double[][] bias; // [H][Lb] or null
        double[][] outputGate; // Wg [H][C] or null
        double[] sinks; // [H] or null
        double[][] gate;
        double[][] up;
        double[][] down;
    }

    private final LmConfig config;
    private final double[][] embedding;
    private final List<Layer> layers = new ArrayList<>();
    private final double[] finalGain;
    private final double[][] head;

    private ReferenceLm(LazyLanguageModel lm) {
        config = lm.config();
        Map<String, NDArray> parameters = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : lm.block().getParameters()) {
            parameters.put(p.getKey(), p.getValue().getArray());
        }
        embedding = matrix(find(parameters, "", "embedding"));
        for (int i = 0; i < config.numLayers(); i++) {
            String layer = "layer" + i + "_";
            Layer l = new Layer();
            l.attentionGain = vector(find(parameters, layer, "attention_norm_gain"));
            l.mlpGain = vector(find(parameters, layer, "mlp_norm_gain"));
            l.wq = matrix(find(parameters, layer, "query_weight"));
            l.wk = matrix(find(parameters, layer, "key_weight"));
            l.wv = matrix(find(parameters, layer, "value_weight"));
            l.wo = matrix(find(parameters, layer, "output_weight"));
            l.tau = config.attention().hasElasticSoftmax() ? vector(find(parameters, layer, "attention_tau")) : null;
            l.bias = config.attention().hasDistanceBias() ? matrix(find(parameters, layer, "distance_bias")) : null;
            l.outputGate = config.attention().hasOutputGate()
                    ? matrix(find(parameters, layer, "attention_gate_weight")) : null;
            l.sinks = config.attention().hasLearnedSink() ? vector(find(parameters, layer, "attention_sinks")) : null;
            l.gate = matrix(find(parameters, layer, "mlp_gate_weight"));
            l.up = matrix(find(parameters, layer, "up_weight"));
            l.down = matrix(find(parameters, layer, "down_weight"));
            layers.add(l);
        }
        finalGain = vector(find(parameters, "", "final_norm_gain"));
        head = matrix(find(parameters, "", "head_weight"));
    }

    /** The reference of {@code lm}'s current parameters. */
    public static ReferenceLm of(LazyLanguageModel lm) {
        return new ReferenceLm(lm);
    }

    /**
     * The one parameter whose name holds {@code scope} and ends with {@code suffix}, in names without DJL's
     * two-digit child numbers ({@code 02layer0_04mlp_01gate_weight} is {@code layer0_mlp_gate_weight}).
     */
    private static NDArray find(Map<String, NDArray> parameters, String scope, String suffix) {
        NDArray found = null;
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            String name = e.getKey().replaceAll("(^|_)\\d{2}(?=[a-z])", "$1");
            if (name.contains(scope) && name.endsWith(suffix)) {
                if (found != null) {
                    throw new IllegalStateException("more than one parameter " + scope + "*" + suffix);
                }
                found = e.getValue();
            }
        }
        if (found == null) {
            throw new IllegalStateException("no parameter " + scope + "*" + suffix + " in " + parameters.keySet());
        }
        return found;
    }

    private static double[] vector(NDArray array) {
        float[] f = array.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static double[][] matrix(NDArray array) {
        float[] f = array.toFloatArray();
        int rows = Math.toIntExact(array.getShape().get(0));
        int cols = f.length / rows;
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                m[r][c] = f[r * cols + c];
            }
        }
        return m;
    }

    /** {@code log softmax(logits)} at every position: {@code [T][V]}, row t the distribution of token t + 1. */
    public double[][] logSoftmax(int[] tokens) {
        double[][][] states = hiddenStates(tokens);
        double[][] h = states[states.length - 1];
        double[][] out = new double[h.length][];
        for (int t = 0; t < h.length; t++) {
            out[t] = normalisedLog(matVec(head, h[t]));
        }
        return out;
    }

    /**
     * The residual stream after every layer, then the final normalised hidden state: {@code [L + 1][T][C]}.
     */
    public double[][][] hiddenStates(int[] tokens) {
        int n = tokens.length;
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            x[t] = embedding[tokens[t]].clone();
        }
        double[][][] states = new double[layers.size() + 1][][];
        int index = 0;
        for (Layer l : layers) {
            double[][] attended = attention(l, norm(x, l.attentionGain));
            for (int t = 0; t < n; t++) {
                add(x[t], attended[t]);
            }
            double[][] h = norm(x, l.mlpGain);
            for (int t = 0; t < n; t++) {
                double[] g = matVec(l.gate, h[t]);
                double[] u = matVec(l.up, h[t]);
                for (int f = 0; f < g.length; f++) {
                    g[f] = g[f] / (1 + Math.exp(-g[f])) * u[f]; // silu(gate) * up
                }
                add(x[t], matVec(l.down, g));
            }
            states[index++] = copy(x);
        }
        states[index] = norm(x, finalGain);
        return states;
    }

    private static double[][] copy(double[][] x) {
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            y[t] = x[t].clone();
        }
        return y;
    }

    /**
     * Asserts every value of a path under test within {@code tolerance} of this reference's value, naming the path
     * and the index of the first that is not; returns the largest difference.
     */
    public static double assertClose(double[] expected, double[] actual, double tolerance, String what) {
        org.junit.jupiter.api.Assertions.assertEquals(expected.length, actual.length, what + ": count");
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double difference = Math.abs(expected[i] - actual[i]);
            worst = Math.max(worst, difference);
            org.junit.jupiter.api.Assertions.assertTrue(difference <= tolerance, String.format(java.util.Locale.ROOT,
                    "%s [%d]: reference %.9f, got %.9f", what, i, expected[i], actual[i]));
        }
        return worst;
    }

    /** Natural-log softmax, in float64, of logits that a model under test produced in float32. */
    public static double[] logSoftmaxOf(float[] logits) {
        double[] out = new double[logits.length];
        for (int k = 0; k < logits.length; k++) {
            out[k] = logits[k];
        }
        return normalisedLog(out);
    }

    /** {@code logits - log(sum(exp(logits)))} in place, the maximum taken out first so no exponential overflows. */
    private static double[] normalisedLog(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : logits) {
            sum += Math.exp(v - max);
        }
        double logSum = max + Math.log(sum);
        for (int k = 0; k < logits.length; k++) {
            logits[k] -= logSum;
        }
        return logits;
    }

    /** {@code log p(tokens[t] | tokens[0..t))} for every t in {@code [firstTarget, n)}. */
    public double[] logProbabilities(int[] tokens, int firstTarget) {
        double[][] logSoftmax = logSoftmax(tokens);
        double[] out = new double[tokens.length - firstTarget];
        for (int t = firstTarget; t < tokens.length; t++) {
            out[t - firstTarget] = logSoftmax[t - 1][tokens[t]];
        }
        return out;
    }

    private double[][] norm(double[][] x, double[] gain) {
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double square = 0;
            for (double v : x[t]) {
                square += v * v;
            }
            double rms = Math.sqrt(square / x[t].length + config.normEpsilon());
            y[t] = new double[x[t].length];
            for (int c = 0; c < x[t].length; c++) {
                y[t][c] = x[t][c] / rms * gain[c];
            }
        }
        return y;
    }

    private double[][] attention(Layer l, double[][] h) {
        int n = h.length;
        int heads = config.numHeads();
        int group = heads / config.numKvHeads();
        int d = config.headDim();
        double[][] q = new double[n][];
        double[][] k = new double[n][];
        double[][] v = new double[n][];
        for (int t = 0; t < n; t++) {
            q[t] = rope(matVec(l.wq, h[t]), heads, t);
            k[t] = rope(matVec(l.wk, h[t]), config.numKvHeads(), t);
            v[t] = matVec(l.wv, h[t]);
        }
        double[][] merged = new double[n][heads * d];
        for (int head = 0; head < heads; head++) {
            int g = head / group;
            for (int i = 0; i < n; i++) {
                double[] s = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) {
                        dot += q[i][head * d + c] * k[j][g * d + c];
                    }
                    s[j] = dot / Math.sqrt(d);
                    if (l.bias != null && i - j < config.biasLength()) {
                        s[j] += l.bias[head][i - j];
                    }
                    max = Math.max(max, s[j]);
                }
                // Off-by-one: one more term exp(0) for a key of score 0 and value 0, the learned sink exp(sink)
                // for a key of score sink[h]; shifting every exponent by max(max, sink) keeps them all at most 0.
                boolean withSink = config.attention().hasOffByOneSoftmax() || l.sinks != null;
                double sink = l.sinks != null ? l.sinks[head] : 0;
                double shift = withSink ? Math.max(max, sink) : max;
                double sum = withSink ? Math.exp(sink - shift) : 0;
                for (int j = 0; j <= i; j++) {
                    s[j] = Math.exp(s[j] - shift);
                    sum += s[j];
                }
                double gate = 1;
                if (l.outputGate != null) {
                    double logit = 0;
                    for (int c = 0; c < h[i].length; c++) {
                        logit += l.outputGate[head][c] * h[i][c];
                    }
                    gate = 1 / (1 + Math.exp(-logit));
                }
                for (int j = 0; j <= i; j++) {
                    double p = s[j] / sum;
                    double a = l.tau == null ? p : Math.max(0, p + l.tau[head] / (i + 1));
                    for (int c = 0; c < d; c++) {
                        merged[i][head * d + c] += gate * a * v[j][g * d + c];
                    }
                }
            }
        }
        double[][] y = new double[n][];
        for (int t = 0; t < n; t++) {
            y[t] = matVec(l.wo, merged[t]);
        }
        return y;
    }

    /** Rotate-half RoPE of every head at {@code position}: pairs (c, c + D/2) turn by position * base^(-2c/D). */
    private double[] rope(double[] vector, int numHeads, int position) {
        int d = config.headDim();
        int half = d / 2;
        for (int head = 0; head < numHeads; head++) {
            for (int c = 0; c < half; c++) {
                double angle = position * Math.pow(config.ropeBase(), -2.0 * c / d);
                double a = vector[head * d + c];
                double b = vector[head * d + c + half];
                vector[head * d + c] = a * Math.cos(angle) - b * Math.sin(angle);
                vector[head * d + c + half] = b * Math.cos(angle) + a * Math.sin(angle);
            }
        }
        return vector;
    }

    private static double[] matVec(double[][] w, double[] x) {
        double[] out = new double[w.length];
        for (int r = 0; r < w.length; r++) {
            double acc = 0;
            for (int c = 0; c < x.length; c++) {
                acc += w[r][c] * x[c];
            }
            out[r] = acc;
        }
        return out;
    }

    private static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }
}

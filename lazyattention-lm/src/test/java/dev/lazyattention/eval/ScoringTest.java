package dev.lazyattention.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmOutput;
import dev.lazyattention.testing.SyntheticCorpus;
import dev.lazyattention.testing.TinyModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Scoring against direct forward passes, batching, sliding windows and the attention diagnostics. */
class ScoringTest {

    /** log p(tokens[t] | tokens[start..t)) by one forward pass over tokens[start, end), in plain Java. */
    private static double[] direct(LazyLanguageModel lm, int[] tokens, int start, int end) {
        try (NDManager m = lm.newManager()) {
            long[] input = new long[end - start];
            for (int i = start; i < end; i++) {
                input[i - start] = tokens[i];
            }
            NDArray logits = lm.block().forward(lm.parameterStore(m), new NDList(m.create(input, new Shape(1, input.length))), false)
                    .head();
            float[] l = logits.toFloatArray();
            int v = lm.config().vocabSize();
            double[] out = new double[end - start - 1];
            for (int p = 0; p < end - start - 1; p++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < v; k++) {
                    max = Math.max(max, l[p * v + k]);
                }
                double sum = 0;
                for (int k = 0; k < v; k++) {
                    sum += Math.exp(l[p * v + k] - max);
                }
                out[p] = l[p * v + tokens[start + p + 1]] - max - Math.log(sum);
            }
            return out;
        }
    }

    private static int[] withEos(LazyLanguageModel lm, String text) {
        int[] ids = lm.tokenizer().encode(text);
        int[] tokens = new int[ids.length + 1];
        tokens[0] = lm.tokenizer().endOfTextId();
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        return tokens;
    }

    @Test
    void shortSequencesMatchOneDirectForwardPass() {
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 21)) {
            int[] tokens = withEos(lm, "The bright bird finds the house at night.");
            double[] expected = direct(lm, tokens, 0, tokens.length);
            double[] got = new SequenceScorer(lm, ScoringOptions.defaults(32)).score(new ScoringRequest(tokens, 1))
                    .logProbabilities();
            assertEquals(expected.length, got.length);
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected[i], got[i], 1e-4, "token " + i);
            }
        }
    }

    @Test
    void longSequencesAreScoredOnceEachInSlidingWindowsWithEnoughContext() {
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 22)) {
            int[] tokens = withEos(lm, String.join(" ", SyntheticCorpus.documents(6, 3)));
            int window = 16;
            int stride = 6;
            assertTrue(tokens.length > 4 * window, "long enough: " + tokens.length);
            double[] got = new SequenceScorer(lm, new ScoringOptions(window, stride, 3, false, 0))
                    .score(new ScoringRequest(tokens, 1)).logProbabilities();
            assertEquals(tokens.length - 1, got.length, "every token but the first is scored");
            // Independent of the scorer's bookkeeping: token t must equal the direct score from SOME window of
            // at most `window` inputs, tokens [s, t), that gives it at least window - stride tokens of context
            // (or starts at 0).
            for (int t = 1; t < tokens.length; t++) {
                boolean matched = false;
                for (int s = Math.max(0, t - window); s < t && !matched; s++) {
                    if (s != 0 && t - s < window - stride) {
                        continue;
                    }
                    double[] d = direct(lm, tokens, s, t + 1);
                    matched = Math.abs(d[t - s - 1] - got[t - 1]) < 1e-4;
                }
                assertTrue(matched, "token " + t + " has no window with enough context that gives " + got[t - 1]);
            }
        }
    }

    @Test
    void aWindowOfNInputsScoresNPlusOneTokensWithOrWithoutStatistics() {
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 25)) {
            int[] tokens = withEos(lm, String.join(" ", SyntheticCorpus.documents(3, 5)));
            int window = 16;
            int[] sequence = java.util.Arrays.copyOf(tokens, window + 1);
            // One forward pass over all window + 1 tokens: the last one is never an input to the others.
            double[] expected = direct(lm, sequence, 0, sequence.length);
            ScoringOptions options = new ScoringOptions(window, 4, 2, false, 0);
            for (ScoringOptions o : List.of(options, options.withAttentionStats(true), options.withTopK(2))) {
                double[] got = new SequenceScorer(lm, o).score(new ScoringRequest(sequence, 1)).logProbabilities();
                assertEquals(window, got.length);
                for (int t = 0; t < got.length; t++) {
                    assertEquals(expected[t], got[t], 1e-4, o + ", token " + (t + 1));
                }
            }
            // Predictions need the last token as an input: it gets a window of its own, the last `window`
            // tokens, while the first window's last target keeps all its context.
            TokenPrediction next = new SequenceScorer(lm, options.withTopK(1)).score(new ScoringRequest(sequence, 1))
                    .nextTokens().get(0);
            int[] probe = java.util.Arrays.copyOfRange(sequence, 1, sequence.length + 1); // + the prediction
            probe[window] = next.id();
            double[] d = direct(lm, probe, 0, probe.length);
            assertEquals(Math.log(next.probability()), d[window - 1], 1e-4, "the prediction of the last window");
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttentionVariant.class, names = {"LAZY", "SOFTMAX", "OFF_BY_ONE", "GATED", "LEARNED_SINK"})
    void batchedScoresEqualUnbatchedOnes(AttentionVariant variant) {
        try (LazyLanguageModel lm = TinyModels.fresh(variant, 23)) {
            Random random = new Random(4);
            List<ScoringRequest> requests = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                int[] tokens = withEos(lm, SyntheticCorpus.sentence(random) + (i % 3 == 0 ? " " + SyntheticCorpus.sentence(random) : ""));
                requests.add(new ScoringRequest(tokens, 1 + i % 2));
            }
            ScoringOptions one = new ScoringOptions(32, 16, 1, true, 3);
            List<SequenceScore> alone = new SequenceScorer(lm, one).score(requests);
            List<SequenceScore> batched = new SequenceScorer(lm, one.withBatchSize(8)).score(requests);
            for (int i = 0; i < requests.size(); i++) {
                double[] a = alone.get(i).logProbabilities();
                double[] b = batched.get(i).logProbabilities();
                for (int t = 0; t < a.length; t++) {
                    assertEquals(a[t], b[t], 1e-5);
                }
                assertEquals(alone.get(i).attention().sparsity(), batched.get(i).attention().sparsity(), 1e-9);
                assertEquals(alone.get(i).attention().sinkMass(), batched.get(i).attention().sinkMass(), 1e-6);
                assertEquals(alone.get(i).nextTokens().get(0).id(), batched.get(i).nextTokens().get(0).id());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(AttentionVariant.class)
    void attentionDiagnosticsFollowTheirDefinitions(AttentionVariant variant) {
        try (LazyLanguageModel lm = TinyModels.fresh(variant, 24)) {
            int[] tokens = withEos(lm, "The happy child helps the farmer after dinner, and 4 dogs agree.");
            int n = tokens.length;
            SequenceScore score = new SequenceScorer(lm, new ScoringOptions(32, 16, 1, true, 0))
                    .score(new ScoringRequest(tokens, 1));
            AttentionStats stats = score.attention();

            // The same quantities computed in Java from the weights of one forward pass.
            int layers = lm.config().numLayers();
            int heads = lm.config().numHeads();
            double zeros = 0;
            double causal = 0;
            double sink = 0;
            double sinkQueries = 0;
            double rowSums = 0;
            double rows = 0;
            int sinkHeads = 0;
            try (NDManager m = lm.newManager()) {
                long[] input = new long[n];
                for (int i = 0; i < n; i++) {
                    input[i] = tokens[i];
                }
                AttentionContext ctx = AttentionContext.builder(m, 1, n).optReturnWeights(true).build();
                LmOutput out = lm.block().forward(lm.parameterStore(m), m.create(input, new Shape(1, n)), null, ctx, false);
                for (int l = 0; l < layers; l++) {
                    float[] a = out.attentionWeights().get(l).toFloatArray(); // [1, H, n, n]
                    for (int h = 0; h < heads; h++) {
                        double headSink = 0;
                        for (int i = 0; i < n; i++) {
                            double row = 0;
                            for (int j = 0; j <= i; j++) {
                                float w = a[(h * n + i) * n + j];
                                zeros += w == 0f ? 1 : 0;
                                causal++;
                                row += w;
                            }
                            rowSums += row;
                            rows++;
                            if (i >= 1) {
                                headSink += a[(h * n + i) * n];
                            }
                        }
                        sink += headSink;
                        sinkHeads += headSink / (n - 1) > 0.3 ? 1 : 0;
                    }
                }
                sinkQueries = (double) layers * heads * (n - 1);
            }
            assertEquals(zeros / causal, stats.sparsity(), 1e-9);
            assertEquals(sink / sinkQueries, stats.sinkMass(), 1e-5);
            assertEquals((double) sinkHeads / (layers * heads), stats.sinkRate(), 1e-9);
            assertEquals(rowSums / rows, stats.survivingMass(), 1e-5);
            if (variant.hasOffByOneSoftmax() || variant.hasLearnedSink()) {
                assertEquals(0.0, stats.sparsity(), 1e-9, "no exact zeros on these scores");
                // near-uniform scores at init (sinks at 0): a row of i keys keeps about i / (i + 1), the sink the
                // rest
                assertTrue(stats.survivingMass() > 0.5 && stats.survivingMass() < 0.99,
                        "the implicit zero key takes part of every row: " + stats.survivingMass());
            } else if (!variant.hasElasticSoftmax()) {
                assertEquals(0.0, stats.sparsity(), 1e-9, "softmax has no exact zeros on these scores");
                assertEquals(1.0, stats.survivingMass(), 1e-5);
            } else {
                assertTrue(stats.sparsity() > 0.2, "tau = -1 at init cuts many weights: " + stats.sparsity());
            }
        }
    }
}

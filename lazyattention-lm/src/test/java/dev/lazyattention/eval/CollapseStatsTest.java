package dev.lazyattention.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.testing.ReferenceLm;
import dev.lazyattention.testing.SyntheticCorpus;
import dev.lazyattention.testing.TinyModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The collapse measures on constructed inputs with known answers, and the scorer's per-layer figures against
 * the same measures over the hidden states of {@link ReferenceLm}, the float64 forward pass.
 */
class CollapseStatsTest {

    @Test
    void identicalRowsHaveMeanCosineOneAndEffectiveRankOne() {
        double[] v = new Random(1).doubles(16, -1, 1).toArray();
        double[][] rows = new double[7][];
        Arrays.fill(rows, v);
        assertEquals(1, CollapseStats.meanCosine(rows), 1e-12);
        assertEquals(1, CollapseStats.effectiveRank(rows), 1e-9);
    }

    @Test
    void orthogonalRowsOfEqualLengthHaveMeanCosineZeroAndEffectiveRankTheirNumber() {
        double[][] hadamard = { // rows of a 4 x 4 Hadamard matrix, scaled, padded to 6 columns
            {3, 3, 3, 3, 0, 0}, {3, -3, 3, -3, 0, 0}, {3, 3, -3, -3, 0, 0}, {3, -3, -3, 3, 0, 0}};
        assertEquals(0, CollapseStats.meanCosine(hadamard), 1e-12);
        assertEquals(4, CollapseStats.effectiveRank(hadamard), 1e-9);
        double[][] axes = {{0, 0, 2, 0, 0}, {2, 0, 0, 0, 0}, {0, 0, 0, 0, 2}};
        assertEquals(0, CollapseStats.meanCosine(axes), 1e-12);
        assertEquals(3, CollapseStats.effectiveRank(axes), 1e-9);
    }

    @Test
    void aRandomMatrixMatchesTheFloat64DefinitionsOnAKnownSpectrum() {
        Random random = new Random(7);
        int n = 12;
        int c = 20;
        double[] singular = {5, 3, 2, 1, 0.5, 0.25, 0.1, 0.01};
        double[][] u = orthonormalColumns(random, n, singular.length);
        double[][] v = orthonormalColumns(random, c, singular.length);
        double[][] x = new double[n][c]; // U diag(s) V^T
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c; j++) {
                for (int k = 0; k < singular.length; k++) {
                    x[i][j] += u[i][k] * singular[k] * v[j][k];
                }
            }
        }
        double total = Arrays.stream(singular).sum();
        double entropy = 0;
        for (double s : singular) {
            entropy -= s / total * Math.log(s / total);
        }
        assertEquals(Math.exp(entropy), CollapseStats.effectiveRank(x), 1e-9);
        assertEquals(Math.exp(entropy), CollapseStats.effectiveRank(transpose(x)), 1e-9, "the other Gram matrix");

        for (double[] row : x) { // a shared direction, so that the cosines are far from 0
            row[0] += 3;
        }
        assertEquals(pairwiseCosine(x), CollapseStats.meanCosine(x), 1e-12);
    }

    @Test
    void aZeroRowHasCosineZeroWithEveryRowAndOneRowIsRefused() {
        double[][] rows = {{1, 0}, {1, 0}, {0, 0}};
        assertEquals(pairwiseCosine(rows), CollapseStats.meanCosine(rows), 1e-12);
        assertEquals(1.0 / 3, CollapseStats.meanCosine(rows), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> CollapseStats.meanCosine(new double[][] {{1, 2}}));
    }

    /**
     * Per layer, the scorer's collapse of a request equals the measures over the reference's hidden states at
     * positions 1 .. n-1, for two requests of different lengths scored in one padded pass.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theScorersCollapseIsThatOfTheReferenceHiddenStates(boolean startToken) {
        LmConfig config = TinyModels.config(AttentionVariant.LAZY).with(LmConfig.START_TOKEN, startToken);
        try (LazyLanguageModel lm = LazyLanguageModel.create(config, TinyModels.tokenizer(), Device.cpu(), 11)) {
            ReferenceLm reference = ReferenceLm.of(lm);
            Random random = new Random(3);
            List<ScoringRequest> requests = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int[] ids = lm.tokenizer().encode(SyntheticCorpus.sentence(random) + " " + SyntheticCorpus.sentence(random));
                requests.add(new ScoringRequest(lm.tokenizer().afterEndOfText(ids), 1));
            }
            ScoringOptions options = ScoringOptions.defaults(config.contextLength()).withCollapse(true);
            List<SequenceScore> scores = new SequenceScorer(lm, options).score(requests);
            for (int r = 0; r < requests.size(); r++) {
                int[] tokens = requests.get(r).tokens();
                assertEquals(true, tokens.length <= config.contextLength(), "one window per request");
                double[][][] states = reference.hiddenStates(tokens);
                CollapseStats got = scores.get(r).collapse();
                assertEquals(1, got.windows());
                for (int l = 0; l <= config.numLayers(); l++) {
                    double[][] window = Arrays.copyOfRange(states[l], 1, tokens.length);
                    double cosine = l < config.numLayers() ? got.meanCosinePerLayer()[l] : got.meanCosineFinal();
                    double rank = l < config.numLayers() ? got.effectiveRankPerLayer()[l] : got.effectiveRankFinal();
                    assertEquals(pairwiseCosine(window), cosine, 1e-5, "request " + r + ", state " + l);
                    double[][] ranked = CollapseStats.evenlySpaced(window, CollapseStats.RANK_ROWS);
                    assertEquals(CollapseStats.effectiveRank(ranked), rank, 1e-3, "request " + r + ", state " + l);
                }
            }
        }
    }

    private static double[][] transpose(double[][] x) {
        double[][] t = new double[x[0].length][x.length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[0].length; j++) {
                t[j][i] = x[i][j];
            }
        }
        return t;
    }

    @Test
    void theEffectiveRankTakesAtMostRankRowsEvenlySpacedTokens() {
        double[][] rows = new double[150][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new double[] {i};
        }
        double[][] picked = CollapseStats.evenlySpaced(rows, 64);
        assertEquals(64, picked.length);
        assertEquals(0, picked[0][0]);
        assertEquals(147, picked[63][0]); // floor(63 * 150 / 64)
        for (int k = 1; k < picked.length; k++) {
            double step = picked[k][0] - picked[k - 1][0];
            assertEquals(true, step == 2 || step == 3, "step " + step + " at " + k);
        }
        double[][] few = new double[10][];
        assertEquals(few, CollapseStats.evenlySpaced(few, 64), "a window of no more tokens is taken whole");
    }

    /** The mean of {@code cos(x_i, x_j)} over ordered pairs {@code i != j}, pair by pair. */
    private static double pairwiseCosine(double[][] x) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x.length; j++) {
                if (i != j) {
                    double dot = 0;
                    double a = 0;
                    double b = 0;
                    for (int k = 0; k < x[i].length; k++) {
                        dot += x[i][k] * x[j][k];
                        a += x[i][k] * x[i][k];
                        b += x[j][k] * x[j][k];
                    }
                    sum += a == 0 || b == 0 ? 0 : dot / Math.sqrt(a * b);
                }
            }
        }
        return sum / ((double) x.length * (x.length - 1));
    }

    /** {@code [rows][columns]} with orthonormal columns, by Gram-Schmidt on Gaussian vectors. */
    private static double[][] orthonormalColumns(Random random, int rows, int columns) {
        double[][] q = new double[rows][columns];
        for (int k = 0; k < columns; k++) {
            double[] v = new double[rows];
            for (int i = 0; i < rows; i++) {
                v[i] = random.nextGaussian();
            }
            for (int p = 0; p < k; p++) {
                double dot = 0;
                for (int i = 0; i < rows; i++) {
                    dot += v[i] * q[i][p];
                }
                for (int i = 0; i < rows; i++) {
                    v[i] -= dot * q[i][p];
                }
            }
            double norm = Math.sqrt(Arrays.stream(v).map(e -> e * e).sum());
            for (int i = 0; i < rows; i++) {
                q[i][k] = v[i] / norm;
            }
        }
        return q;
    }
}

package dev.lazyattention.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The worked example of docs/design.md §3: one head, four positions, scores that already include the bias. */
class GoldenExampleTest {

    private static final float[] SCORES = {
        0.5f, 0, 0, 0,
        1.2f, 0.5f, 0, 0,
        0.4f, 2.2f, 0.5f, 0,
        0.0f, 0.2f, 1.7f, 0.7f,
    };

    private static final double[][] P = {
        {1}, {.668188, .331812}, {.122627, .741849, .135524}, {.102996, .125800, .563795, .207409},
    };
    private static final double[][] A_TAU_MINUS_1 = {
        {0}, {.168188, 0}, {0, .408516, 0}, {0, 0, .313795, 0},
    };
    private static final double[][] A_TAU_MINUS_HALF = {
        {.5}, {.418188, .081812}, {0, .575183, 0}, {0, .000800, .438795, .082409},
    };

    @ParameterizedTest
    @ValueSource(floats = {-1f, -0.5f, 0f})
    void elasticSoftmaxMatchesTheWorkedExample(float tau) {
        double[][] expected = tau == -1f ? A_TAU_MINUS_1 : tau == -0.5f ? A_TAU_MINUS_HALF : P;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray scores = manager.create(SCORES, new Shape(1, 1, 4, 4));
            float[] a = ElasticSoftmax.causal(scores, manager.create(new float[] {tau}), 0).toFloatArray();
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    double want = j <= i ? expected[i][j] : 0;
                    assertEquals(want, a[i * 4 + j], 1e-5, "A[" + i + "][" + j + "] at tau=" + tau);
                }
            }
        }
    }

    @Test
    void tauMinusOneZeroesSevenOfTenCausalEntries() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray scores = manager.create(SCORES, new Shape(1, 1, 4, 4));
            float[] a = ElasticSoftmax.causal(scores, manager.create(new float[] {-1f}), 0).toFloatArray();
            int zeros = 0;
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j <= i; j++) {
                    zeros += a[i * 4 + j] == 0f ? 1 : 0;
                }
            }
            assertEquals(7, zeros);
        }
    }

    @Test
    void uniformRowWithTauMinusOneIsAllZero() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            int t = 9;
            NDArray scores = manager.zeros(new Shape(2, 3, t, t)).add(1.25f); // every causal row uniform
            NDArray tau = manager.create(new float[] {-1f, -1f, -1f});
            float[] a = ElasticSoftmax.causal(scores, tau, 0).toFloatArray();
            for (float w : a) {
                assertEquals(0f, w, "a uniform row 1/i minus 1/i must be exactly 0");
            }
        }
    }

    @Test
    void positiveTauNeverReachesFutureKeys() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray scores = manager.create(SCORES, new Shape(1, 1, 4, 4));
            float[] a = ElasticSoftmax.causal(scores, manager.create(new float[] {0.8f}), 0).toFloatArray();
            for (int i = 0; i < 4; i++) {
                for (int j = i + 1; j < 4; j++) {
                    assertEquals(0f, a[i * 4 + j], "future key " + j + " of query " + i);
                }
                assertEquals(P[i][0] + 0.8 / (i + 1), a[i * 4], 1e-5, "positive tau lifts every causal weight");
            }
        }
    }

    @Test
    void positionOffsetChangesTheThreshold() {
        // The same row at absolute position 3 (1-based i = 4) with one earlier cached key: tau/i = -1/4.
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray scores = manager.create(new float[] {0.0f, 0.2f, 1.7f, 0.7f}, new Shape(1, 1, 1, 4));
            float[] a = ElasticSoftmax.causal(scores, manager.create(new float[] {-1f}), 3).toFloatArray();
            double[] want = {0, 0, .313795, 0};
            for (int j = 0; j < 4; j++) {
                assertEquals(want[j], a[j], 1e-5);
            }
        }
    }
}

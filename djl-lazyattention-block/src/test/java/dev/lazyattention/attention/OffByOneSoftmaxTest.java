package dev.lazyattention.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * The off-by-one softmax {@code exp(S_j) / (1 + sum_j' exp(S_j'))} on the worked scores of docs/design.md §3
 * and on scores whose plain exponentials overflow float32. Expected values computed in float64 outside the
 * project (Python's math.exp).
 */
class OffByOneSoftmaxTest {

    private static final float[] SCORES = {
        0.5f, 0, 0, 0,
        1.2f, 0.5f, 0, 0,
        0.4f, 2.2f, 0.5f, 0,
        0.0f, 0.2f, 1.7f, 0.7f,
    };

    private static final double[][] A = {
        {.622459}, {.556242, .276221}, {.113313, .685502, .125230}, {.093379, .114053, .511149, .188041},
    };

    private static float[] normalize(NDManager manager, float[] scores, int queries, int keys) {
        AttentionContext context = AttentionContext.builder(manager, 1, queries).optPastLength(keys - queries).build();
        NDArray masked = manager.create(scores, new Shape(1, 1, queries, keys)).add(context.causalMask());
        return ScoreNormalizer.OFF_BY_ONE.normalize(masked, null, context).toFloatArray(); // [1, 1, Tq, Tk]
    }

    @Test
    void matchesTheWorkedExample() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            float[] a = normalize(manager, SCORES, 4, 4);
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    double want = j <= i ? A[i][j] : 0;
                    assertEquals(want, a[i * 4 + j], 1e-6, "A[" + i + "][" + j + "]");
                }
            }
        }
    }

    @Test
    void scoresWhoseExponentialOverflowsFloat32StayFinite() {
        // exp(100) is infinite in float32: computed without the shift, the row would be inf / inf = NaN.
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            float[] a = normalize(manager, new float[] {100f, 100f, -100f}, 1, 3);
            assertEquals(0.5, a[0], 1e-6);
            assertEquals(0.5, a[1], 1e-6);
            assertEquals(0.0, a[2], 1e-6);
            float[] low = normalize(manager, new float[] {-100f}, 1, 1);
            assertEquals(0.0, low[0], 1e-6, "a very negative score leaves the weight to the zero key");
        }
    }
}

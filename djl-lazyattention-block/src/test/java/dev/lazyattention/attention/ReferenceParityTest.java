package dev.lazyattention.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The block against the float64 reference on fresh random inputs and parameters. */
class ReferenceParityTest {

    private static double largestError;
    private static final java.util.Map<AttentionVariant, Double> LARGEST_PER_VARIANT =
            new java.util.concurrent.ConcurrentSkipListMap<>();

    @AfterAll
    static void report() {
        System.out.printf("[parity] largest relative error against the float64 reference: %.3e%n", largestError);
        LARGEST_PER_VARIANT.forEach((variant, error) ->
                System.out.printf("[parity]   %s: %.3e%n", variant.id(), error));
    }

    /** (B, T, H, D, G, Lb, position offset): Lb below and above T, GQA, MQA, offsets. */
    static Stream<Arguments> cases() {
        int[][] shapes = {
            {1, 1, 1, 2, 1, 1, 0},
            {2, 7, 2, 4, 2, 3, 0},
            {3, 12, 4, 8, 2, 20, 0},
            {2, 9, 4, 6, 1, 4, 5},
            {1, 16, 6, 4, 3, 16, 0},
            {2, 5, 8, 2, 4, 2, 100},
        };
        List<Arguments> out = new ArrayList<>();
        long seed = 1000;
        for (AttentionVariant variant : AttentionVariant.values()) {
            for (int[] s : shapes) {
                out.add(Arguments.of(variant, s[0], s[1], s[2], s[3], s[4], s[5], s[6], seed++));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} B={1} T={2} H={3} D={4} G={5} Lb={6} offset={7}")
    @MethodSource("cases")
    void blockMatchesFloat64Reference(
            AttentionVariant variant, int b, int t, int h, int d, int g, int lb, int offset, long seed) {
        Random random = new Random(seed);
        int hidden = 3 * h + 2; // deliberately not H * D: the head size is set explicitly
        ReferenceAttention ref = ReferenceAttention.random(random, hidden, h, g, d, lb, variant);
        double[][][] x = AttentionHarness.random(random, b, t, hidden);
        double[] expected = AttentionHarness.flat(ref.forward(x, offset));

        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock block = harness.block(ref, variant);
            PairList<String, Object> params = new PairList<>();
            params.add(LazyAttentionBlock.POSITION_OFFSET, offset);
            params.add(LazyAttentionBlock.RETURN_WEIGHTS, true);
            NDList out = harness.run(block, harness.array(x), params);
            double error = AttentionHarness.relativeError(AttentionHarness.toDouble(out.get(0)), expected);
            assertTrue(error < 1e-4, "max relative error " + error);
            largestError = Math.max(largestError, error);
            LARGEST_PER_VARIANT.merge(variant, error, Math::max);

            NDArray weights = out.get(1); // [B, H, T, T]
            double[] a = AttentionHarness.toDouble(weights);
            for (int bi = 0; bi < b; bi++) {
                for (int hi = 0; hi < h; hi++) {
                    for (int i = 0; i < t; i++) {
                        for (int j = 0; j < t; j++) {
                            double want = j <= i ? ref.lastWeights[bi][hi][i][j] : 0;
                            double got = a[((bi * h + hi) * t + i) * t + j];
                            assertEquals(want, got, 2e-5, "A[" + bi + "," + hi + "," + i + "," + j + "]");
                        }
                    }
                }
            }
        }
    }
}

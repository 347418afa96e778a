package dev.lazyattention.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * DJL autograd gradients of L = sum(y * R) against central finite differences of the float64 reference,
 * for the input, the four projections, tau, the distance bias, the output gate's projection and the sinks.
 */
class GradientCheckTest {

    private static final double EPS = 1e-6;
    private static double largestError;
    private static final java.util.Map<AttentionVariant, Double> LARGEST_PER_VARIANT =
            new java.util.concurrent.ConcurrentSkipListMap<>();

    @AfterAll
    static void report() {
        System.out.printf("[gradients] largest relative error against finite differences: %.3e%n", largestError);
        LARGEST_PER_VARIANT.forEach((variant, error) ->
                System.out.printf("[gradients]   %s: %.3e%n", variant.id(), error));
    }

    @ParameterizedTest
    @EnumSource(AttentionVariant.class)
    void autogradMatchesFiniteDifferences(AttentionVariant variant) {
        Random random = new Random(77 + variant.ordinal());
        int b = 2;
        int t = 6;
        int h = 4;
        int g = 2;
        int d = 4;
        int lb = 4; // below T, so distances beyond Lb get no bias
        int c = 10;
        ReferenceAttention ref = ReferenceAttention.random(random, c, h, g, d, lb, variant);
        double[][][] x = AttentionHarness.random(random, b, t, c);
        double[][][] r = AttentionHarness.random(random, b, t, c);

        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock block = harness.block(ref, variant);
            NDArray xs = harness.array(x);
            xs.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = block.forward(new ParameterStore(harness.manager, false), new NDList(xs), true).head();
                collector.backward(y.mul(harness.array(r)).sum());
            }
            double worst = check("x", AttentionHarness.toDouble(xs.getGradient()), x, ref, x, r);
            worst = Math.max(worst, check("Wq", grad(block, "query_weight"), ref.wq, ref, x, r));
            worst = Math.max(worst, check("Wk", grad(block, "key_weight"), ref.wk, ref, x, r));
            worst = Math.max(worst, check("Wv", grad(block, "value_weight"), ref.wv, ref, x, r));
            worst = Math.max(worst, check("Wo", grad(block, "output_weight"), ref.wo, ref, x, r));
            if (variant.hasElasticSoftmax()) {
                worst = Math.max(worst, check("tau", AttentionHarness.toDouble(block.tau().getArray().getGradient()),
                        new double[][] {ref.tau}, ref, x, r));
            }
            if (variant.hasDistanceBias()) {
                worst = Math.max(worst, check("b",
                        AttentionHarness.toDouble(block.distanceBias().getArray().getGradient()), ref.bias, ref, x, r));
            }
            if (variant.hasOutputGate()) {
                worst = Math.max(worst, check("Wg", grad(block, "gate_weight"), ref.wg, ref, x, r));
            }
            if (variant.hasLearnedSink()) {
                worst = Math.max(worst, check("sinks",
                        AttentionHarness.toDouble(block.sinks().getArray().getGradient()),
                        new double[][] {ref.sinks}, ref, x, r));
            }
            LARGEST_PER_VARIANT.put(variant, worst);
        }
    }

    private static double[] grad(LazyAttentionBlock block, String name) {
        return AttentionHarness.toDouble(AttentionHarness.parameter(block, name).getGradient());
    }

    private static double check(String name, double[] autograd, double[][][] tensor, ReferenceAttention ref,
            double[][][] x, double[][][] r) {
        double[] fd = new double[autograd.length];
        int k = 0;
        for (double[][] m : tensor) {
            for (double[] row : m) {
                for (int i = 0; i < row.length; i++) {
                    fd[k++] = centralDifference(row, i, ref, x, r);
                }
            }
        }
        return compare(name, autograd, fd);
    }

    private static double check(String name, double[] autograd, double[][] matrix, ReferenceAttention ref,
            double[][][] x, double[][][] r) {
        return check(name, autograd, new double[][][] {matrix}, ref, x, r);
    }

    private static double centralDifference(double[] row, int i, ReferenceAttention ref, double[][][] x,
            double[][][] r) {
        double saved = row[i];
        row[i] = saved + EPS;
        double plus = loss(ref, x, r);
        row[i] = saved - EPS;
        double minus = loss(ref, x, r);
        row[i] = saved;
        return (plus - minus) / (2 * EPS);
    }

    private static double loss(ReferenceAttention ref, double[][][] x, double[][][] r) {
        double[] y = AttentionHarness.flat(ref.forward(x, 0));
        double[] w = AttentionHarness.flat(r);
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            sum += y[i] * w[i];
        }
        return sum;
    }

    /** Relative error of the whole gradient tensor: |g - fd| / |fd| in the Euclidean norm. */
    /** @return the relative error */
    private static double compare(String name, double[] autograd, double[] fd) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < fd.length; i++) {
            diff += (autograd[i] - fd[i]) * (autograd[i] - fd[i]);
            norm += fd[i] * fd[i];
        }
        assertTrue(norm > 0, name + ": the finite-difference gradient is zero, the check would be vacuous");
        double error = Math.sqrt(diff / norm);
        synchronized (GradientCheckTest.class) {
            largestError = Math.max(largestError, error);
        }
        assertTrue(error < 1e-3, name + " gradient relative error " + error);
        return error;
    }

}

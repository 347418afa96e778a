package dev.lazyattention.lab.jmh;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.attention.ElasticSoftmax;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The parts of one attention layer that only Lazy Attention has, forward plus backward, at the shape of the
 * {@code small} preset's training micro-batch (scores [4, 8, 256, 256]): where lazy's extra time per layer
 * goes. Each benchmark ends in {@code sum(out * g)} with a fixed random g, so its backward pass is a full one.
 *
 * <ul>
 *   <li>{@code softmax}: the softmax variant's normalisation (causal mask, softmax), the baseline;
 *   <li>{@code elasticNoPositiveTau}: Elastic-Softmax with every tau at most 0 (tau = -1, the init), which
 *       needs no mask after the ReLU;
 *   <li>{@code elasticPositiveTau}: Elastic-Softmax with a positive tau: the threshold masked by the causal
 *       keep table [T, T], its gradient summed into [H, T, T] first;
 *   <li>{@code biasGather}: the distance bias [H, T, T] as a gather of b[h, i - j] by an index table plus
 *       the causal mask, whose backward pass is a scatter-add;
 *   <li>{@code biasToeplitz}: the same bias as a Toeplitz matrix read from a repeated vector, as {@code
 *       LazyAttentionBlock} builds it, whose backward pass is a sum over the repeats.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true"})
public class LazyOnlyPartsBenchmark {

    private static final int B = 4;
    private static final int H = 8;
    private static final int T = 256;
    private static final int LB = 256;
    private static final float MASKED = -1e30f;

    private NDManager manager;
    private NDArray scores;
    private NDArray upstream;
    private NDArray negativeTau;
    private NDArray positiveTau;
    private NDArray bias;
    private NDArray biasUpstream;

    @Setup(Level.Trial)
    public void setUp() {
        manager = NDManager.newBaseManager();
        scores = manager.randomNormal(new Shape(B, H, T, T)); // [B, H, T, T]
        scores.setRequiresGradient(true);
        upstream = manager.randomNormal(new Shape(B, H, T, T)); // [B, H, T, T]
        negativeTau = manager.full(new Shape(H), -1f); // [H]
        negativeTau.setRequiresGradient(true);
        positiveTau = manager.full(new Shape(H), 0.1f); // [H]
        positiveTau.setRequiresGradient(true);
        bias = manager.randomNormal(0, 1e-3f, new Shape(H, LB), DataType.FLOAT32); // [H, Lb]
        bias.setRequiresGradient(true);
        biasUpstream = manager.randomNormal(new Shape(H, T, T)); // [H, T, T]
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public float softmax() {
        try (NDManager step = manager.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            // Results belong to the manager of their first operand: lend the inputs to this step's manager.
            step.tempAttachAll(scores, bias);
            AttentionContext context = AttentionContext.builder(step, B, T).build();
            NDArray a = scores.add(context.causalMask()).softmax(-1); // [B, H, T, T]
            return backward(collector, a.mul(upstream).sum());
        }
    }

    @Benchmark
    public float elasticNoPositiveTau() {
        return elastic(negativeTau);
    }

    @Benchmark
    public float elasticPositiveTau() {
        return elastic(positiveTau);
    }

    private float elastic(NDArray tau) {
        try (NDManager step = manager.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            // Results belong to the manager of their first operand: lend the inputs to this step's manager.
            step.tempAttachAll(scores, bias);
            NDArray a = ElasticSoftmax.causal(scores, tau, 0); // [B, H, T, T]
            return backward(collector, a.mul(upstream).sum());
        }
    }

    @Benchmark
    public float biasGather() {
        try (NDManager step = manager.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            // Results belong to the manager of their first operand: lend the inputs to this step's manager.
            step.tempAttachAll(scores, bias);
            AttentionContext context = AttentionContext.builder(step, B, T).build();
            long[] index = new long[T * T];
            for (int t = 0; t < T; t++) {
                for (int j = 0; j < T; j++) {
                    int distance = t - j;
                    index[t * T + j] = distance < 0 || distance >= LB ? LB : distance;
                }
            }
            NDArray indices = step.create(index, new Shape(1, (long) T * T)).broadcast(H, (long) T * T); // [H, T*T]
            NDArray padded = bias.concat(step.zeros(new Shape(H, 1)), 1); // [H, Lb+1]
            NDArray b = padded.gather(indices, 1).reshape(H, T, T).add(context.causalMask()); // [H, T, T]
            return backward(collector, b.mul(biasUpstream).sum());
        }
    }

    @Benchmark
    public float biasToeplitz() {
        try (NDManager step = manager.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            // Results belong to the manager of their first operand: lend the inputs to this step's manager.
            step.tempAttachAll(scores, bias);
            long width = 2L * T - 1;
            NDArray far = step.zeros(new Shape(H, Math.max(0, T - LB))); // [H, far]
            NDArray future = step.full(new Shape(H, T - 1), MASKED); // [H, T-1]
            NDArray nearest = bias.get(new NDIndex(":, :{}", Math.min(LB, T))).flip(1); // [H, near]
            NDArray w = NDArrays.concat(new NDList(far, nearest, future), 1); // [H, 2T-1]
            NDArray b = w.tile(new long[] {1, T}) // [H, T * width]
                    .get(new NDIndex(":, {}:{}", T - 1, T - 1 + (long) T * (width - 1))) // [H, T * (width-1)]
                    .reshape(H, T, width - 1) // [H, T, width-1]
                    .get(new NDIndex(":, :, :{}", T)); // [H, T, T]
            return backward(collector, b.mul(biasUpstream).sum());
        }
    }

    private static float backward(GradientCollector collector, NDArray loss) {
        collector.backward(loss);
        return loss.getFloat();
    }
}

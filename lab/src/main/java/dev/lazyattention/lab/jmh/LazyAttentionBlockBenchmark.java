package dev.lazyattention.lab.jmh;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.attention.ElasticSoftmax;
import dev.lazyattention.attention.LazyAttentionBlock;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One attention layer of the {@code small} preset (hidden 256, 8 heads, sequence 256, batch 4): forward,
 * forward plus backward, and Elastic-Softmax alone against a plain softmax. The ratio of the LAZY and
 * SOFTMAX rows is the cost of Lazy Attention inside one layer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true"})
public class LazyAttentionBlockBenchmark {

    @Param({"LAZY", "SOFTMAX"})
    public AttentionVariant variant;

    @Param({"256"})
    public int sequenceLength;

    private NDManager manager;
    private LazyAttentionBlock block;
    private NDArray input;
    private NDArray scores;
    private NDArray tau;

    @Setup(Level.Trial)
    public void setUp() {
        manager = NDManager.newBaseManager();
        int batch = 4;
        int hidden = 256;
        int heads = 8;
        block = LazyAttentionBlock.builder().setHiddenSize(hidden).setNumHeads(heads).optVariant(variant).build();
        Shape shape = new Shape(batch, sequenceLength, hidden);
        block.initialize(manager, DataType.FLOAT32, shape);
        input = manager.randomNormal(shape);
        scores = manager.randomNormal(new Shape(batch, heads, sequenceLength, sequenceLength));
        tau = manager.full(new Shape(heads), -1f);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public float forward() {
        try (NDManager step = manager.newSubManager()) {
            // Results belong to the manager of their first operand: lend the input to this step's manager.
            step.tempAttachAll(input);
            NDArray y = block.forward(new ParameterStore(step, false), new NDList(input), false).head(); // [B, T, C]
            return y.getFloat(0, 0, 0);
        }
    }

    @Benchmark
    public float forwardBackward() {
        try (NDManager step = manager.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            step.tempAttachAll(input);
            NDArray y = block.forward(new ParameterStore(step, false), new NDList(input), true).head(); // [B, T, C]
            NDArray loss = y.square().mean(); // []
            collector.backward(loss);
            return loss.getFloat();
        }
    }

    /** The attention normalisation alone: Elastic-Softmax for LAZY, a causal softmax for SOFTMAX. */
    @Benchmark
    public float normalisation() {
        try (NDManager step = manager.newSubManager()) {
            NDArray s = scores.duplicate(); // [B, H, T, T]
            s.attach(step);
            NDArray a = variant == AttentionVariant.LAZY
                    ? ElasticSoftmax.causal(s, tau, 0) // [B, H, T, T]
                    : s.add(AttentionContext.builder(step, 1, sequenceLength).build().causalMask()).softmax(-1); // [B, H, T, T]
            return a.getFloat(0, 0, 0, 0);
        }
    }
}

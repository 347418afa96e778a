package dev.lazyattention.lab.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.attention.LazyAttentionBlock;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code lazyattn bench --phases layer}: one {@link LazyAttentionBlock} of input [4, 256, 256], 8 heads, forward
 * and forward plus backward, timed as the JMH benchmark {@code LazyAttentionBlockBenchmark} times it (the same
 * operations, average time per operation over iterations of 2 s after 3 warm-up iterations), so that the two
 * can be set side by side. Each figure is the median, min and max of the iterations' milliseconds per
 * operation. The bench runs it in a child JVM per variant and run (see {@link LayerAlternation}), as JMH
 * forks a fresh JVM per benchmark: timed after another variant in the same JVM, softmax disagreed with JMH.
 */
final class LayerBench {

    static final int BATCH = 4;
    static final int SEQUENCE = 256;
    static final int HIDDEN = 256;
    static final int HEADS = 8;
    private static final long ITERATION_NANOS = 2_000_000_000L;
    private static final int WARMUP_ITERATIONS = 3;

    private final Device device;
    private final int iterations;

    LayerBench(Device device, int iterations) {
        this.device = device;
        this.iterations = iterations;
    }

    /** Per variant: forward and forwardBackward milliseconds per operation. */
    Map<String, Object> run(List<AttentionVariant> variants) {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("shape", List.of(BATCH, SEQUENCE, HIDDEN));
        all.put("heads", HEADS);
        all.put("iterations", iterations + " of 2 s after " + WARMUP_ITERATIONS + " warm-up ones");
        for (AttentionVariant variant : variants) {
            try (NDManager manager = NDManager.newBaseManager(device)) {
                LazyAttentionBlock block = LazyAttentionBlock.builder().setHiddenSize(HIDDEN).setNumHeads(HEADS)
                        .optVariant(variant).build();
                Shape shape = new Shape(BATCH, SEQUENCE, HIDDEN);
                block.initialize(manager, DataType.FLOAT32, shape);
                NDArray input = manager.randomNormal(shape); // [B, T, C]
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("forwardMillis", time(() -> forward(manager, block, input)).toMap());
                v.put("forwardBackwardMillis", time(() -> forwardBackward(manager, block, input)).toMap());
                all.put(variant.id(), v);
            }
        }
        return all;
    }

    /** The body of LazyAttentionBlockBenchmark.forward. */
    private static float forward(NDManager manager, LazyAttentionBlock block, NDArray input) {
        try (NDManager step = manager.newSubManager()) {
            step.tempAttachAll(input);
            NDArray y = block.forward(new ParameterStore(step, false), new NDList(input), false).head(); // [B, T, C]
            return y.getFloat(0, 0, 0);
        }
    }

    /** The body of LazyAttentionBlockBenchmark.forwardBackward. */
    private static float forwardBackward(NDManager manager, LazyAttentionBlock block, NDArray input) {
        try (NDManager step = manager.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            step.tempAttachAll(input);
            NDArray y = block.forward(new ParameterStore(step, false), new NDList(input), true).head(); // [B, T, C]
            NDArray loss = y.square().mean(); // []
            collector.backward(loss);
            return loss.getFloat();
        }
    }

    /** Warm-up iterations, then {@link #iterations} iterations of at least 2 s: ms per operation each. */
    private Spread time(Supplier<Float> operation) {
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < WARMUP_ITERATIONS + iterations; i++) {
            int ops = 0;
            long start = System.nanoTime();
            long elapsed;
            do {
                operation.get();
                ops++;
                elapsed = System.nanoTime() - start;
            } while (elapsed < ITERATION_NANOS);
            if (i >= WARMUP_ITERATIONS) {
                millis.add(elapsed / 1e6 / ops);
            }
        }
        return Spread.of(millis);
    }
}

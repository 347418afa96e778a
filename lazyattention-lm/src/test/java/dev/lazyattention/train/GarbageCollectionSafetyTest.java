package dev.lazyattention.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.util.Pair;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.util.Tensors;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Memory that autograd keeps for the backward pass must not be Java memory the garbage collector can free
 * (see {@link Tensors}). Between forward and backward this test collects garbage and then fills freshly
 * allocated native memory with NaN; the gradients must be finite and equal to those of an undisturbed
 * pass. With a scalar from {@code NDArray.mul(Number)} on the path, the backward pass read that NaN.
 */
class GarbageCollectionSafetyTest {

    @Test
    void backwardReadsNoMemoryThatTheCollectorFreed() throws InterruptedException {
        float[] clean = gradients(false);
        float[] disturbed = gradients(true);
        for (float g : disturbed) {
            assertTrue(Float.isFinite(g), "a gradient read freed memory");
        }
        assertArrayEquals(clean, disturbed, 0f);
    }

    private static float[] gradients(boolean disturb) throws InterruptedException {
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 31);
                NDManager manager = lm.newManager()) {
            long[] ids = new long[2 * 16];
            long[] labels = new long[2 * 16];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = (i * 7) % lm.config().vocabSize();
                labels[i] = (i * 11 + 3) % lm.config().vocabSize();
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = lm.block().forward(lm.parameterStore(manager),
                        new NDList(Tensors.of(manager, ids, new Shape(2, 16))), true).head();
                NDArray loss = NextTokenLoss.tokenNll(logits, Tensors.of(manager, labels, new Shape(2, 16))).mean();
                List<ByteBuffer> nanBlocks = disturb ? scribbleOverFreedMemory() : List.of();
                collector.backward(loss);
                // The NaN blocks stay allocated until the backward pass is done, so that freed memory holds NaN.
                Reference.reachabilityFence(nanBlocks);
            }
            List<Float> all = new ArrayList<>();
            for (Pair<String, Parameter> p : lm.block().getParameters()) {
                try (NDArray g = p.getValue().getArray().getGradient()) {
                    for (float v : g.toFloatArray()) {
                        all.add(v);
                    }
                }
            }
            float[] out = new float[all.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = all.get(i);
            }
            return out;
        }
    }

    /**
     * Lets the collector free unreachable direct buffers, then reuses small native blocks with NaN; the caller
     * keeps the returned blocks reachable while the backward pass runs.
     */
    private static List<ByteBuffer> scribbleOverFreedMemory() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(20);
        }
        List<ByteBuffer> keep = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4 + (i % 4) * 4).order(ByteOrder.nativeOrder());
            while (b.remaining() >= 4) {
                b.putFloat(Float.NaN);
            }
            keep.add(b);
        }
        return keep;
    }
}

package dev.lazyattention.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.PairList;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The learned sink {@code exp(S_j) / (exp(s_h) + sum_j' exp(S_j'))}: on the worked scores of docs/design.md §3
 * (expected values computed in float64 outside the project, Python's math.exp), on scores and sinks whose
 * plain exponentials overflow float32, and as the generalisation of the off-by-one softmax.
 */
class LearnedSinkTest {

    private static final float[] SCORES = {
        0.5f, 0, 0, 0,
        1.2f, 0.5f, 0, 0,
        0.4f, 2.2f, 0.5f, 0,
        0.0f, 0.2f, 1.7f, 0.7f,
    };

    /** Head 0 has the sink s = 1.5, head 1 s = -2. */
    private static final double[][][] A = {
        {{.268941}, {.351316, .174458}, {.089614, .542132, .099039}, {.070468, .086070, .385739, .141906}},
        {{.924142}, {.650471, .323014}, {.121278, .733688, .134033}, {.101580, .124070, .556045, .204557}},
    };

    /** The same scores in every head, one sink per head. */
    private static float[] normalize(NDManager manager, float[] scores, float[] sinks, int queries, int keys) {
        int heads = sinks.length;
        AttentionContext context = AttentionContext.builder(manager, 1, queries).optPastLength(keys - queries).build();
        NDArray masked = manager.create(scores, new Shape(1, 1, queries, keys))
                .repeat(1, heads).add(context.causalMask()); // [1, H, Tq, Tk]
        return ScoreNormalizer.LEARNED_SINK.normalize(masked, manager.create(sinks), context).toFloatArray();
    }

    @Test
    void matchesTheWorkedExampleWithASinkPerHead() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            float[] a = normalize(manager, SCORES, new float[] {1.5f, -2f}, 4, 4);
            for (int h = 0; h < 2; h++) {
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 4; j++) {
                        double want = j <= i ? A[h][i][j] : 0;
                        assertEquals(want, a[(h * 4 + i) * 4 + j], 1e-6, "A[" + h + "][" + i + "][" + j + "]");
                    }
                }
            }
        }
    }

    @Test
    void scoresAndSinksWhoseExponentialOverflowsFloat32StayFinite() {
        // exp(100) is infinite in float32: computed without the shift, the rows would be inf / inf = NaN.
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            float[] a = normalize(manager, new float[] {100f, 100f, -100f}, new float[] {100f, 1000f, -1000f}, 1, 3);
            assertArrayEquals(new float[] {1 / 3f, 1 / 3f, 0, 0, 0, 0, 0.5f, 0.5f, 0}, a, 1e-6f,
                    "sink equal to the best score, far above it, far below it");
        }
    }

    @Test
    void aFreshLearnedSinkBlockStartsAtZeroAndEqualsOffByOne() {
        Random random = new Random(31);
        ReferenceAttention ref = ReferenceAttention.random(random, 12, 4, 2, 6, 5, AttentionVariant.OFF_BY_ONE);
        double[][][] x = AttentionHarness.random(random, 2, 9, 12);
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock offByOne = harness.block(ref, AttentionVariant.OFF_BY_ONE);
            LazyAttentionBlock sink = LazyAttentionBlock.builder().setHiddenSize(12).setNumHeads(4).optNumKvHeads(2)
                    .optHeadDim(6).optBiasLength(5).optVariant(AttentionVariant.LEARNED_SINK).build();
            sink.initialize(harness.manager, DataType.FLOAT32, new Shape(1, 1, 12));
            assertEquals(DataType.FLOAT32, sink.sinks().getArray().getDataType());
            assertArrayEquals(new float[4], sink.sinks().getArray().toFloatArray(), "every sink starts at 0");
            AttentionHarness.load(sink, ref); // the projections; ref has no sinks and leaves them at 0
            PairList<String, Object> params = new PairList<>();
            params.add(LazyAttentionBlock.RETURN_WEIGHTS, true);
            NDList expected = harness.run(offByOne, harness.array(x), params);
            NDList actual = harness.run(sink, harness.array(x), params);
            assertArrayEquals(expected.get(0).toFloatArray(), actual.get(0).toFloatArray(), 1e-7f, "outputs");
            assertArrayEquals(expected.get(1).toFloatArray(), actual.get(1).toFloatArray(), 1e-7f, "weights");
        }
    }

    @Test
    void nonZeroSinksDifferFromOffByOneAsTheReferenceSays() {
        Random random = new Random(32);
        ReferenceAttention ref = ReferenceAttention.random(random, 12, 4, 2, 6, 5, AttentionVariant.LEARNED_SINK);
        double[][][] x = AttentionHarness.random(random, 1, 7, 12);
        try (AttentionHarness harness = new AttentionHarness()) {
            double[] withSinks = AttentionHarness.toDouble(
                    harness.run(harness.block(ref, AttentionVariant.LEARNED_SINK), harness.array(x), null).head());
            double[] reference = AttentionHarness.flat(ref.forward(x, 0));
            ref.learnedSink = false;
            ref.offByOne = true;
            double[] offByOne = AttentionHarness.flat(ref.forward(x, 0));
            assertEquals(0, AttentionHarness.relativeError(withSinks, reference), 1e-5, "against the reference");
            double apart = AttentionHarness.relativeError(offByOne, reference);
            org.junit.jupiter.api.Assertions.assertTrue(apart > 1e-2,
                    "sinks away from 0 change the outputs, by " + apart);
        }
    }
}

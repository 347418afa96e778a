package dev.lazyattention.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A left-padded batch with a key padding mask gives each row's real tokens the outputs of that row run
 * alone, unpadded: {@code i} in {@code tau / i} counts the real tokens of the row, and RoPE and the distance
 * bias depend only on distances, which the leading pads do not change.
 */
class LeftPaddingTest {

    private static final int HIDDEN = 12;
    private static final int HEADS = 4;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 6;
    private static final int BIAS_LENGTH = 5;
    /** Real lengths of the two rows; the batch is as wide as the longest. */
    private static final int[] LENGTHS = {9, 5};
    private static final int WIDTH = 9;
    /** Columns given to the prefill in the KV-cache test; the rest are decoded one at a time. */
    private static final int PREFILL = 6;
    private static final double TOLERANCE = 1e-5;

    private static double largestError;

    @AfterAll
    static void report() {
        System.out.printf("[left padding] largest relative difference from the unpadded rows: %.3e%n", largestError);
    }

    @ParameterizedTest
    @EnumSource(AttentionVariant.class)
    void leftPaddedBatchEqualsEachRowAlone(AttentionVariant variant) {
        Fixture f = new Fixture(variant, 41);
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock block = harness.block(f.ref, variant);
            NDArray mask = f.mask(harness);
            mask.setName(LazyAttentionBlock.KEY_PADDING_MASK);
            NDArray y = block.forward(new ParameterStore(harness.manager, false),
                    new NDList(harness.array(f.padded), mask), false, null).head(); // [2, W, C]
            f.assertRowsEqualAlone(harness, block, y, "full forward");
            for (double value : AttentionHarness.toDouble(y)) {
                assertTrue(Double.isFinite(value), variant + ": a leading pad, whose keys are all masked, gave "
                        + value);
            }

            // The float64 reference, which counts the real tokens itself, agrees on every position.
            double[] expected = AttentionHarness.flat(f.ref.forward(f.padded, 0, f.keyMask));
            double error = AttentionHarness.relativeError(AttentionHarness.toDouble(y), expected);
            assertTrue(error < 1e-4, variant + ": padded batch against the float64 reference, error " + error);
        }
    }

    @ParameterizedTest
    @EnumSource(AttentionVariant.class)
    void leftPaddedDecodingThroughTheKvCacheEqualsEachRowAlone(AttentionVariant variant) {
        Fixture f = new Fixture(variant, 51);
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock block = harness.block(f.ref, variant);
            ParameterStore ps = new ParameterStore(harness.manager, false);
            NDArray x = harness.array(f.padded); // [2, W, C]
            NDArray mask = f.mask(harness); // [2, W]
            PairList<String, Object> keepCache = new PairList<>();
            keepCache.add(LazyAttentionBlock.RETURN_KEY_VALUES, true);

            NDArray prefillMask = mask.get(new NDIndex(":, :{}", PREFILL));
            prefillMask.setName(LazyAttentionBlock.KEY_PADDING_MASK);
            NDList out = block.forward(ps, new NDList(x.get(new NDIndex(":, :{}, :", PREFILL)), prefillMask),
                    false, keepCache);
            NDArray y = out.get(0);
            for (int t = PREFILL; t < WIDTH; t++) {
                NDArray keys = out.get(1);
                NDArray values = out.get(2);
                keys.setName(LazyAttentionBlock.PAST_KEYS);
                values.setName(LazyAttentionBlock.PAST_VALUES);
                NDArray stepMask = mask.get(new NDIndex(":, :{}", t + 1));
                stepMask.setName(LazyAttentionBlock.KEY_PADDING_MASK);
                out = block.forward(ps,
                        new NDList(x.get(new NDIndex(":, {}:{}, :", t, t + 1)), keys, values, stepMask), false, null);
                y = y.concat(out.get(0), 1);
            }
            f.assertRowsEqualAlone(harness, block, y, "prefill of " + PREFILL + " then KV-cache decoding");
        }
    }

    /** Two rows of different lengths, left-padded with large garbage vectors, and their parameters. */
    private static final class Fixture {
        final AttentionVariant variant;
        final ReferenceAttention ref;
        final double[][][] rows = new double[LENGTHS.length][][];
        final double[][][] padded = new double[LENGTHS.length][WIDTH][];
        final boolean[][] keyMask = new boolean[LENGTHS.length][WIDTH];

        Fixture(AttentionVariant variant, long seed) {
            this.variant = variant;
            Random random = new Random(seed + variant.ordinal());
            ref = ReferenceAttention.random(random, HIDDEN, HEADS, KV_HEADS, HEAD_DIM, BIAS_LENGTH, variant);
            // both signs, and large enough that a wrong i changes which weights survive
            ref.tau = new double[] {-1.5, -0.8, -0.3, 0.4};
            for (int r = 0; r < LENGTHS.length; r++) {
                rows[r] = AttentionHarness.random(random, 1, LENGTHS[r], HIDDEN)[0];
                int pads = WIDTH - LENGTHS[r];
                for (int t = 0; t < WIDTH; t++) {
                    if (t < pads) {
                        padded[r][t] = new double[HIDDEN];
                        for (int c = 0; c < HIDDEN; c++) {
                            padded[r][t][c] = 5 * random.nextGaussian();
                        }
                    } else {
                        padded[r][t] = rows[r][t - pads].clone();
                        keyMask[r][t] = true;
                    }
                }
            }
        }

        NDArray mask(AttentionHarness harness) {
            boolean[] flat = new boolean[LENGTHS.length * WIDTH];
            for (int r = 0; r < LENGTHS.length; r++) {
                System.arraycopy(keyMask[r], 0, flat, r * WIDTH, WIDTH);
            }
            return harness.manager.create(flat, new Shape(LENGTHS.length, WIDTH));
        }

        /** The real positions of each row of y [2, W, C] equal the row run alone, unpadded, to 1e-5. */
        void assertRowsEqualAlone(AttentionHarness harness, LazyAttentionBlock block, NDArray y, String how) {
            for (int r = 0; r < LENGTHS.length; r++) {
                double[] alone = AttentionHarness.toDouble(
                        harness.run(block, harness.array(new double[][][] {rows[r]}), null).head());
                double[] real = AttentionHarness.toDouble(
                        y.get(new NDIndex("{}, {}:, :", r, WIDTH - LENGTHS[r])));
                double error = AttentionHarness.relativeError(real, alone);
                largestError = Math.max(largestError, error);
                assertTrue(error < TOLERANCE, variant + ", " + how + ": row " + r + " with "
                        + (WIDTH - LENGTHS[r]) + " leading pads differs from the row alone by " + error
                        + " (relative)");
            }
        }
    }
}

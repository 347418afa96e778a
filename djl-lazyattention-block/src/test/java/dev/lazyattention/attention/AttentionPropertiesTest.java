package dev.lazyattention.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Properties of the mechanism that hold for any parameters. */
class AttentionPropertiesTest {

    @Test
    void lazyWithZeroTauAndZeroBiasIsStandardSoftmaxAttention() {
        Random random = new Random(5);
        ReferenceAttention ref = ReferenceAttention.random(random, 16, 4, 2, 4, 8, AttentionVariant.LAZY);
        double[][][] x = AttentionHarness.random(random, 2, 11, 16);
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock lazy = harness.block(ref, AttentionVariant.LAZY);
            AttentionHarness.copyInto(lazy.tau().getArray(), new float[4]);
            AttentionHarness.copyInto(lazy.distanceBias().getArray(), new float[4 * 8]);
            LazyAttentionBlock softmax = harness.block(ref, AttentionVariant.SOFTMAX);
            float[] a = harness.run(lazy, harness.array(x), null).head().toFloatArray();
            float[] s = harness.run(softmax, harness.array(x), null).head().toFloatArray();
            assertArrayEquals(s, a, 1e-6f);
        }
    }

    @Test
    void gatedWithAZeroGateProjectionIsHalfOfSoftmaxAttention() {
        Random random = new Random(13);
        ReferenceAttention ref = ReferenceAttention.random(random, 12, 4, 2, 6, 5, AttentionVariant.GATED);
        double[][][] x = AttentionHarness.random(random, 2, 9, 12);
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock gated = harness.block(ref, AttentionVariant.GATED);
            AttentionHarness.copyInto(AttentionHarness.parameter(gated, "gate_weight"), new float[4 * 12]);
            LazyAttentionBlock softmax = harness.block(ref, AttentionVariant.SOFTMAX);
            float[] g = harness.run(gated, harness.array(x), null).head().toFloatArray();
            float[] s = harness.run(softmax, harness.array(x), null).head().toFloatArray();
            for (int i = 0; i < s.length; i++) {
                assertEquals(0.5f * s[i], g[i], 1e-6f, "sigmoid(0) = 1/2 scales every head, and Wo is linear");
            }
        }
    }

    @Test
    void softmaxRowsSumToOneLazyRowsToAtMostOneAndSinkRowsToLessThanOne() {
        Random random = new Random(6);
        ReferenceAttention ref = ReferenceAttention.random(random, 12, 3, 3, 4, 5, AttentionVariant.LAZY);
        ref.tau = new double[] {-1, -0.3, 0}; // tau <= 0: a row can only lose mass (tau > 0 may add some)
        ref.wg = ReferenceAttention.gaussian(random, 3, 12, 0.5); // for the gated variant
        ref.sinks = new double[] {-3, 0.5, 4}; // for the learned sink: a little to most of each row
        double[][][] x = AttentionHarness.random(random, 2, 9, 12);
        try (AttentionHarness harness = new AttentionHarness()) {
            for (AttentionVariant variant : AttentionVariant.values()) {
                PairList<String, Object> params = new PairList<>();
                params.add(LazyAttentionBlock.RETURN_WEIGHTS, true);
                NDArray weights = harness.run(harness.block(ref, variant), harness.array(x), params).get(1);
                float[] rowSums = weights.sum(new int[] {-1}).toFloatArray();
                for (float sum : rowSums) {
                    if (variant.hasOffByOneSoftmax() || variant.hasLearnedSink()) {
                        // the sink key takes exp(s) / (exp(s) + sum exp(S)) > 0 of every row
                        assertTrue(sum > 0 && sum < 1 - 1e-6, variant + " row sum " + sum);
                    } else if (variant.hasElasticSoftmax()) {
                        assertTrue(sum <= 1 + 1e-6, variant + " row sum " + sum);
                    } else {
                        assertEquals(1f, sum, 1e-5f, variant + " row sum");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(AttentionVariant.class)
    void changingTheFutureNeverChangesThePast(AttentionVariant variant) {
        Random random = new Random(7 + variant.ordinal());
        ReferenceAttention ref = ReferenceAttention.random(random, 8, 2, 1, 4, 6, variant);
        Arrays.fill(ref.tau, 0.6); // tau > 0 would leak into future keys if the mask were not applied again
        double[][][] x = AttentionHarness.random(random, 1, 10, 8);
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock block = harness.block(ref, variant);
            float[] before = harness.run(block, harness.array(x), null).head().toFloatArray();
            int cut = 4;
            for (int t = cut + 1; t < 10; t++) {
                for (int c = 0; c < 8; c++) {
                    x[0][t][c] = 100 * random.nextGaussian();
                }
            }
            float[] after = harness.run(block, harness.array(x), null).head().toFloatArray();
            for (int i = 0; i < (cut + 1) * 8; i++) {
                assertEquals(before[i], after[i], 0f, "output at position " + (i / 8) + " changed");
            }
            boolean futureChanged = false;
            for (int i = (cut + 1) * 8; i < before.length; i++) {
                futureChanged |= before[i] != after[i];
            }
            assertTrue(futureChanged, "the changed positions themselves must change, or the test proves nothing");
        }
    }

    @Test
    void firstPositionOutputIsZeroAtTauMinusOne() {
        Random random = new Random(8);
        ReferenceAttention ref = ReferenceAttention.random(random, 8, 2, 2, 4, 4, AttentionVariant.LAZY);
        Arrays.fill(ref.tau, -1);
        double[][][] x = AttentionHarness.random(random, 3, 5, 8);
        try (AttentionHarness harness = new AttentionHarness()) {
            NDArray y = harness.run(harness.block(ref, AttentionVariant.LAZY), harness.array(x), null).head();
            float[] first = y.get(new NDIndex(":, 0, :")).toFloatArray();
            for (float v : first) {
                assertEquals(0f, v, "position 1 has P = 1 and tau/1 = -1: A = 0 exactly");
            }
            assertTrue(y.get(new NDIndex(":, 1:, :")).abs().max().getFloat() > 0, "later positions are not all 0");
        }
    }

    @ParameterizedTest
    @EnumSource(AttentionVariant.class)
    void twoPiecesWithTheKvCacheEqualOnePass(AttentionVariant variant) {
        Random random = new Random(9 + variant.ordinal());
        ReferenceAttention ref = ReferenceAttention.random(random, 12, 4, 2, 6, 5, variant);
        double[][][] x = AttentionHarness.random(random, 2, 13, 12);
        int split = 8;
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock block = harness.block(ref, variant);
            NDArray all = harness.array(x);
            float[] whole = harness.run(block, all, null).head().toFloatArray();

            PairList<String, Object> keepCache = new PairList<>();
            keepCache.add(LazyAttentionBlock.RETURN_KEY_VALUES, true);
            NDList first = harness.run(block, all.get(new NDIndex(":, :{}, :", split)), keepCache);
            NDArray pastKeys = first.get(1);
            NDArray pastValues = first.get(2);
            pastKeys.setName(LazyAttentionBlock.PAST_KEYS);
            pastValues.setName(LazyAttentionBlock.PAST_VALUES);
            NDList second = block.forward(new ParameterStore(harness.manager, false),
                    new NDList(all.get(new NDIndex(":, {}:, :", split)), pastKeys, pastValues), false, null);
            assertEquals(new Shape(2, 2, 13, 6), second.get(1).getShape(), "keys of all positions come back");

            NDArray pieces = first.head().concat(second.head(), 1);
            assertArrayEquals(whole, pieces.toFloatArray(), 1e-5f);
        }
    }

    @Test
    void keyPaddingMaskHidesPaddedKeys() {
        Random random = new Random(10);
        ReferenceAttention ref = ReferenceAttention.random(random, 8, 2, 2, 4, 8, AttentionVariant.LAZY);
        Arrays.fill(ref.tau, 0.3); // positive: padded keys would get tau/i without the mask
        double[][][] shortSeq = AttentionHarness.random(random, 1, 4, 8);
        double[][][] padded = new double[1][7][8];
        for (int t = 0; t < 4; t++) {
            padded[0][t] = shortSeq[0][t].clone();
        }
        for (int t = 4; t < 7; t++) {
            Arrays.fill(padded[0][t], 3.0);
        }
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock block = harness.block(ref, AttentionVariant.LAZY);
            float[] alone = harness.run(block, harness.array(shortSeq), null).head().toFloatArray();
            NDArray mask = harness.manager.create(new boolean[] {true, true, true, true, false, false, false},
                    new Shape(1, 7));
            mask.setName(LazyAttentionBlock.KEY_PADDING_MASK);
            NDArray y = block.forward(new ParameterStore(harness.manager, false),
                    new NDList(harness.array(padded), mask), false, null).head();
            float[] real = y.get(new NDIndex(":, :4, :")).toFloatArray();
            assertArrayEquals(alone, real, 1e-6f);
            assertEquals(DataType.FLOAT32, y.getDataType());
        }
    }

    @ParameterizedTest
    @EnumSource(AttentionVariant.class)
    void queryChunksGiveTheSameOutputsAndWeights(AttentionVariant variant) {
        Random random = new Random(12 + variant.ordinal());
        ReferenceAttention ref = ReferenceAttention.random(random, 12, 4, 2, 6, 5, variant);
        double[][][] x = AttentionHarness.random(random, 2, 11, 12);
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock block = harness.block(ref, variant);
            ParameterStore ps = new ParameterStore(harness.manager, false);
            NDArray all = harness.array(x);
            // A cached prefix of 4 positions, then 7 new queries at absolute offset 4, with padding on row 1.
            AttentionContext first = AttentionContext.builder(harness.manager, 2, 4).build();
            AttentionOutput prefix = block.forward(ps, all.get(new NDIndex(":, :4, :")), null, first, false);
            NDArray mask = harness.manager.create(new boolean[] {
                true, true, true, true, true, true, true, true, true, true, true,
                true, true, true, true, true, true, true, true, false, false, false}, new Shape(2, 11));
            NDArray rest = all.get(new NDIndex(":, 4:, :"));
            float[] whole = null;
            float[] wholeWeights = null;
            for (int chunk : new int[] {0, 1, 3, 5}) {
                AttentionContext ctx = AttentionContext.builder(harness.manager, 2, 7).optPastLength(4)
                        .optKeyPaddingMask(mask).optReturnWeights(true).optQueryChunk(chunk).build();
                AttentionOutput out = block.forward(ps, rest, prefix.present(), ctx, false);
                float[] y = out.output().toFloatArray();
                float[] w = out.weights().toFloatArray();
                if (whole == null) {
                    whole = y;
                    wholeWeights = w;
                } else {
                    assertArrayEquals(whole, y, 1e-5f, "chunk " + chunk);
                    assertArrayEquals(wholeWeights, w, 1e-6f, "chunk " + chunk);
                }
            }
        }
    }
}

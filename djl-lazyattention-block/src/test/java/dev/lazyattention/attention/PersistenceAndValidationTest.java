package dev.lazyattention.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Versioned parameter files and refusal of bad configurations and inputs before any native call. */
class PersistenceAndValidationTest {

    @Test
    void saveAndLoadReproducesOutputsExactly() throws IOException, MalformedModelException {
        Random random = new Random(11);
        ReferenceAttention ref = ReferenceAttention.random(random, 12, 4, 2, 4, 6, AttentionVariant.LAZY);
        double[][][] x = AttentionHarness.random(random, 2, 7, 12);
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock saved = harness.block(ref, AttentionVariant.LAZY);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            saved.saveParameters(new DataOutputStream(bytes));

            LazyAttentionBlock loaded = LazyAttentionBlock.builder()
                    .setHiddenSize(12).setNumHeads(4).optNumKvHeads(2).optHeadDim(4).optBiasLength(6).build();
            loaded.loadParameters(harness.manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

            float[] before = harness.run(saved, harness.array(x), null).head().toFloatArray();
            float[] after = harness.run(loaded, harness.array(x), null).head().toFloatArray();
            assertArrayEquals(before, after, 0f);
        }
    }

    @Test
    void loadingIntoAnotherConfigurationNamesTheDifference() throws IOException {
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock saved = LazyAttentionBlock.builder().setHiddenSize(8).setNumHeads(2).build();
            saved.initialize(harness.manager, DataType.FLOAT32, new Shape(1, 1, 8));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            saved.saveParameters(new DataOutputStream(bytes));

            LazyAttentionBlock other = LazyAttentionBlock.builder().setHiddenSize(8).setNumHeads(4).build();
            MalformedModelException e = assertThrows(MalformedModelException.class, () -> other.loadParameters(
                    harness.manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));
            assertTrue(e.getMessage().contains("numHeads is 2"), e.getMessage());

            byte[] future = bytes.toByteArray();
            future[0] = 9; // a format version this library does not know
            LazyAttentionBlock same = LazyAttentionBlock.builder().setHiddenSize(8).setNumHeads(2).build();
            MalformedModelException v = assertThrows(MalformedModelException.class, () -> same.loadParameters(
                    harness.manager, new DataInputStream(new ByteArrayInputStream(future))));
            assertTrue(v.getMessage().contains("version 9"), v.getMessage());
        }
    }

    @Test
    void badConfigurationsAreRefusedWithTheValueAndTheLimit() {
        refused(() -> LazyAttentionBlock.builder().setHiddenSize(10).setNumHeads(4).build(),
                "hiddenSize 10 is not divisible by numHeads 4");
        refused(() -> LazyAttentionBlock.builder().setHiddenSize(16).setNumHeads(4).optNumKvHeads(3).build(),
                "numHeads 4 is not divisible by numKvHeads 3");
        refused(() -> LazyAttentionBlock.builder().setHiddenSize(16).setNumHeads(4).optBiasLength(0).build(),
                "biasLength (Lb) must be >= 1, got 0");
        refused(() -> LazyAttentionBlock.builder().setNumHeads(4).build(), "hiddenSize must be set");
        refused(() -> LazyAttentionBlock.builder().setHiddenSize(16).setNumHeads(4).optHeadDim(3).build(),
                "headDim must be even");
        refused(() -> AttentionVariant.parse("sparse"), "Unknown attention variant 'sparse'; expected one of lazy");
    }

    @Test
    void badInputsAreRefusedBeforeAnyNativeCall() {
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock block = LazyAttentionBlock.builder()
                    .setHiddenSize(8).setNumHeads(2).optMaxPositions(16).build();
            block.initialize(harness.manager, DataType.FLOAT32, new Shape(1, 1, 8));
            NDArray rank2 = harness.manager.zeros(new Shape(3, 8));
            refused(() -> harness.run(block, rank2, null), "must be [batch, time, 8], got (3, 8)");
            NDArray wide = harness.manager.zeros(new Shape(1, 3, 9));
            refused(() -> harness.run(block, wide, null), "must be [batch, time, 8], got (1, 3, 9)");
            NDArray tooLong = harness.manager.zeros(new Shape(1, 17, 8));
            refused(() -> harness.run(block, tooLong, null), "positions up to 17 exceed the configured maximum of 16");
        }
    }

    private static void refused(Executable call, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(message), "message was: " + e.getMessage());
    }
}

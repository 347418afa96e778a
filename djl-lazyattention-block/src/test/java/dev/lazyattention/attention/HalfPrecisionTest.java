package dev.lazyattention.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.PairList;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A block initialised in float16 or bfloat16 keeps tau and the distance bias in float32 and makes the
 * Elastic-Softmax decision {@code P + tau/i > 0} in float32; its outputs stay close to the float32 block's.
 */
@Tag("slow") // asks a child JVM per type whether the engine computes in it: runs under -Pfull
class HalfPrecisionTest {

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT16", "BFLOAT16"})
    void tauAndDistanceBiasStayFloat32(DataType type) {
        Random random = new Random(61 + type.ordinal());
        ReferenceAttention ref = ReferenceAttention.random(random, 12, 4, 2, 6, 5, AttentionVariant.LAZY);
        // Values that float16 and bfloat16 cannot hold exactly: a rounded copy would show.
        ref.tau = new double[] {-0.3, -1.1, 0.1, -0.7};
        double[][][] x = AttentionHarness.random(random, 2, 10, 12);
        requireEngineSupport(type);
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock half = LazyAttentionBlock.builder()
                    .setHiddenSize(12).setNumHeads(4).optNumKvHeads(2).optHeadDim(6).optBiasLength(5).build();
            half.initialize(harness.manager, type, new Shape(1, 1, 12));
            assertEquals(type, AttentionHarness.parameter(half, "query_weight").getDataType(), "projections");
            assertEquals(DataType.FLOAT32, half.tau().getArray().getDataType(), "tau");
            assertEquals(DataType.FLOAT32, half.distanceBias().getArray().getDataType(), "distance bias");
            assertEquals(-1f, half.tau().getArray().getFloat(0), "tau starts at -1");

            AttentionHarness.load(half, ref);
            float[] tau = half.tau().getArray().toFloatArray();
            for (int h = 0; h < tau.length; h++) {
                assertEquals((float) ref.tau[h], tau[h], 0f, "tau[" + h + "] kept without rounding to " + type);
            }
            float[] bias = half.distanceBias().getArray().toFloatArray();
            assertEquals((float) ref.bias[1][3], bias[5 + 3], 0f, "distance bias kept without rounding");

            PairList<String, Object> params = new PairList<>();
            params.add(LazyAttentionBlock.RETURN_WEIGHTS, true);
            NDList expected = harness.run(harness.block(ref, AttentionVariant.LAZY), harness.array(x), params);
            NDList actual = harness.run(half, harness.array(x).toType(type, false), params);
            assertEquals(type, actual.get(0).getDataType(), "the output keeps the block's type");
            assertEquals(DataType.FLOAT32, actual.get(1).getDataType(), "the weights are float32");

            double tolerance = type == DataType.FLOAT16 ? 5e-3 : 3e-2;
            double outputError = AttentionHarness.relativeError(
                    AttentionHarness.toDouble(actual.get(0)), AttentionHarness.toDouble(expected.get(0)));
            assertTrue(outputError < tolerance, type + " output differs from float32 by " + outputError);
            double[] a = AttentionHarness.toDouble(actual.get(1));
            double[] e = AttentionHarness.toDouble(expected.get(1));
            double weightError = 0;
            for (int i = 0; i < e.length; i++) {
                weightError = Math.max(weightError, Math.abs(a[i] - e[i]));
            }
            assertTrue(weightError < tolerance, type + " weights differ from float32 by " + weightError);
            System.out.printf("[half precision] %s: output %.3e (relative), weights %.3e (absolute)%n",
                    type, outputError, weightError);
        }
    }

    /**
     * The off-by-one, gated and learned-sink variants in float16 and bfloat16 stay close to the float32 block
     * too; the sinks stay float32 without rounding.
     */
    @ParameterizedTest
    @CsvSource({"OFF_BY_ONE, FLOAT16", "OFF_BY_ONE, BFLOAT16", "GATED, FLOAT16", "GATED, BFLOAT16",
        "LEARNED_SINK, FLOAT16", "LEARNED_SINK, BFLOAT16"})
    void otherBaselinesStayCloseToFloat32(AttentionVariant variant, DataType type) {
        Random random = new Random(71 + variant.ordinal());
        ReferenceAttention ref = ReferenceAttention.random(random, 12, 4, 2, 6, 5, variant);
        double[][][] x = AttentionHarness.random(random, 2, 10, 12);
        requireEngineSupport(type);
        try (AttentionHarness harness = new AttentionHarness()) {
            LazyAttentionBlock half = LazyAttentionBlock.builder().setHiddenSize(12).setNumHeads(4).optNumKvHeads(2)
                    .optHeadDim(6).optBiasLength(5).optVariant(variant).build();
            half.initialize(harness.manager, type, new Shape(1, 1, 12));
            AttentionHarness.load(half, ref);
            if (variant.hasLearnedSink()) {
                assertEquals(DataType.FLOAT32, half.sinks().getArray().getDataType(), "sinks");
                float[] sinks = half.sinks().getArray().toFloatArray();
                for (int h = 0; h < sinks.length; h++) {
                    assertEquals((float) ref.sinks[h], sinks[h], 0f, "sinks[" + h + "] kept without rounding");
                }
            }
            PairList<String, Object> params = new PairList<>();
            params.add(LazyAttentionBlock.RETURN_WEIGHTS, true);
            NDList expected = harness.run(harness.block(ref, variant), harness.array(x), params);
            NDList actual = harness.run(half, harness.array(x).toType(type, false), params);
            assertEquals(type, actual.get(0).getDataType(), "the output keeps the block's type");
            assertEquals(DataType.FLOAT32, actual.get(1).getDataType(), "the weights are float32");
            double tolerance = type == DataType.FLOAT16 ? 5e-3 : 3e-2;
            double outputError = AttentionHarness.relativeError(
                    AttentionHarness.toDouble(actual.get(0)), AttentionHarness.toDouble(expected.get(0)));
            assertTrue(outputError < tolerance, variant + " " + type + " output differs from float32 by "
                    + outputError);
            System.out.printf("[half precision] %s %s: output %.3e (relative)%n", variant.id(), type, outputError);
        }
    }

    /**
     * Skips a bfloat16 case where the engine cannot compute in it; float16 works on the CPU, so a probe that
     * fails for float16 fails the test rather than skipping every case it would check.
     */
    private static void requireEngineSupport(DataType type) {
        if (type == DataType.FLOAT16) {
            assertTrue(supports(type), "the engine's float16 probe failed on the CPU");
        } else {
            assumeTrue(supports(type), "the engine cannot compute in " + type + " on the CPU");
        }
    }

    /**
     * Whether the engine computes in {@code type} on the CPU. Asked in a child JVM: DJL 0.36's PyTorch engine
     * aborts the whole process (a native {@code terminate}) on any bfloat16 tensor, which no catch survives.
     */
    private static boolean supports(DataType type) {
        return SUPPORTED.computeIfAbsent(type, t -> {
            List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                    "-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                    Probe.class.getName(), t.name());
            try {
                Process child = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!child.waitFor(120, TimeUnit.SECONDS)) {
                    child.destroyForcibly();
                    return false;
                }
                return child.exitValue() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
    }

    private static final Map<DataType, Boolean> SUPPORTED = new ConcurrentHashMap<>();

    /** Child JVM of {@link #supports}: exits 0 when a matrix product and a softmax work in the given type. */
    static final class Probe {
        public static void main(String[] args) {
            DataType type = DataType.valueOf(args[0]);
            try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
                NDArray a = manager.ones(new Shape(2, 3)).toType(type, false);
                NDArray b = manager.ones(new Shape(3, 2)).toType(type, false);
                float value = a.matMul(b).softmax(-1).toType(DataType.FLOAT32, false).getFloat(0, 0);
                System.exit(value == 0.5f ? 0 : 1);
            }
        }
    }
}

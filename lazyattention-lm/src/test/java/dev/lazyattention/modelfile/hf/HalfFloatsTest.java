package dev.lazyattention.modelfile.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Half-precision conversions against PyTorch's own roundings and against nearest-value search in double. */
class HalfFloatsTest {

    /**
     * 328 floats (ties, overflow, subnormals, random magnitudes) with the bits PyTorch 1.13 gives them, written
     * by {@code x.to(torch.bfloat16).view(torch.int16)} and {@code x.to(torch.float16)...}.
     */
    @Test
    void conversionsGiveTheBitsPyTorchGives() throws IOException {
        List<long[]> rows = new ArrayList<>();
        try (InputStream in = HalfFloatsTest.class.getResourceAsStream("torch-half-roundings.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    rows.add(Arrays.stream(line.trim().split(" ")).mapToLong(h -> Long.parseLong(h, 16)).toArray());
                }
            }
        }
        assertEquals(328, rows.size());
        for (long[] row : rows) {
            float value = Float.intBitsToFloat((int) row[0]);
            assertEquals(row[1], HalfFloats.floatToBfloat16(value) & 0xFFFF, "bfloat16 of " + value);
            assertEquals(row[2], HalfFloats.floatToFloat16(value) & 0xFFFF, "float16 of " + value);
            assertEquals(Float.intBitsToFloat((int) row[1] << 16), HalfFloats.bfloat16ToFloat((short) row[1]));
        }
    }

    /** Every float16 decoded by its definition, sign x 2^(e-15) x 1.m (or 2^-14 x 0.m), in double. */
    @Test
    void everyFloat16DecodesToItsDefinition() {
        for (int bits = 0; bits < 0x10000; bits++) {
            int exponent = (bits >> 10) & 0x1F;
            int mantissa = bits & 0x3FF;
            double sign = (bits & 0x8000) != 0 ? -1 : 1;
            float got = HalfFloats.float16ToFloat((short) bits);
            if (exponent == 0x1F) {
                assertEquals(mantissa == 0, Float.isInfinite(got), Integer.toHexString(bits));
                continue;
            }
            double expected = exponent == 0 ? sign * Math.scalb(mantissa / 1024.0, -14)
                    : sign * Math.scalb(1 + mantissa / 1024.0, exponent - 15);
            assertEquals(expected, got, 0.0, Integer.toHexString(bits));
        }
    }

    /** Rounding to the nearest float16 found by search over all of them, ties to the even one. */
    @Test
    void float16RoundingPicksTheNearestValueTiesToEven() {
        double[] halves = new double[0x7C00];
        for (int bits = 0; bits < 0x7C00; bits++) {
            halves[bits] = HalfFloats.float16ToFloat((short) bits); // checked against the definition above
        }
        Random random = new Random(3);
        for (int i = 0; i < 200_000; i++) {
            float x = (float) (random.nextDouble() * Math.scalb(1.0, random.nextInt(42) - 26));
            int at = Arrays.binarySearch(halves, x);
            int expected;
            if (at >= 0) {
                expected = at;
            } else {
                int above = -at - 1;
                if (above == halves.length) {
                    expected = x >= 65520 ? 0x7C00 : 0x7BFF;
                } else {
                    double down = x - halves[above - 1];
                    double up = halves[above] - x;
                    expected = down < up ? above - 1 : up < down ? above : ((above & 1) == 0 ? above : above - 1);
                }
            }
            assertEquals(expected, HalfFloats.floatToFloat16(x), "float16 of " + x);
            assertEquals(expected | 0x8000, HalfFloats.floatToFloat16(-x) & 0xFFFF, "float16 of " + -x);
        }
    }
}

package dev.lazyattention.modelfile.hf;

/**
 * IEEE half precision (float16) and bfloat16 to and from float32, bit by bit in Java, so that half-precision
 * bytes never reach the engine (DJL 0.36's PyTorch engine crashes the JVM on a bfloat16 tensor on some CPUs,
 * and Java 17 has no {@code Float.float16ToFloat}). Narrowing rounds to nearest, ties to even, as PyTorch's
 * {@code tensor.to(torch.bfloat16)} and {@code .half()} do.
 */
public final class HalfFloats {

    private HalfFloats() {}

    /** The float32 value of the bfloat16 bits {@code bits} (the high half of a float32: exact). */
    public static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** {@code value} rounded to the nearest bfloat16 (ties to even); NaN stays a quiet NaN. */
    public static short floatToBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** The float32 value of the float16 bits {@code bits} (exact: every float16 is a float32). */
    public static float float16ToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13)); // infinity or NaN
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f; // subnormal (or zero): mantissa * 2^-24, exact
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /**
     * {@code value} rounded to the nearest float16 (ties to even): beyond 65504 it overflows to infinity,
     * below 2^-24 it underflows to zero, as in PyTorch.
     */
    public static short floatToFloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int magnitude = bits & 0x7FFFFFFF;
        if (magnitude >= 0x7F800000) { // infinity or NaN
            return (short) (sign | 0x7C00 | (magnitude > 0x7F800000 ? 0x200 : 0));
        }
        if (magnitude >= 0x477FF000) { // rounds to 65520 or more: overflow
            return (short) (sign | 0x7C00);
        }
        if (magnitude < 0x38800000) { // below 2^-14: a subnormal float16 (or zero)
            // The value in units of 2^-24, rounded to nearest even.
            float scaled = Float.intBitsToFloat(magnitude) * 0x1p24f;
            return (short) (sign | (int) Math.rint(scaled));
        }
        int rebased = magnitude - (112 << 23); // exponent moved from float32's bias to float16's
        int roundingBias = 0xFFF + ((rebased >>> 13) & 1);
        return (short) (sign | ((rebased + roundingBias) >>> 13));
    }
}

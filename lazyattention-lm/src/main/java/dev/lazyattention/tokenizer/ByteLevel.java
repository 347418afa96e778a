package dev.lazyattention.tokenizer;

/**
 * The GPT-2 byte-to-unicode mapping that turns every byte into one printable character.
 *
 * <p>Hugging Face {@code tokenizer.json} files store byte-level tokens as strings in this form: bytes
 * that are already printable Latin-1 characters map to themselves, and the remaining 68 bytes (controls,
 * space, soft hyphen, ...) map to U+0100 onwards in byte order. Space therefore appears as {@code 'Ġ'}
 * and newline as {@code 'Ċ'}.
 */
public final class ByteLevel {

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            char c = isPrintable(b) ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    private static boolean isPrintable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** Returns the character that stands for byte {@code b} (only the low 8 bits are used). */
    public static char toChar(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** Returns the byte value (0..255) that {@code c} stands for, or -1 if {@code c} is not in the alphabet. */
    public static int toByte(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** Encodes bytes as a token string, one character per byte. */
    public static String toTokenString(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = toChar(bytes[i]);
        }
        return new String(chars);
    }

    /**
     * Decodes a token string back to its bytes.
     *
     * @throws IllegalArgumentException if a character is outside the 256-character alphabet
     */
    public static byte[] toBytes(String tokenString) {
        byte[] bytes = new byte[tokenString.length()];
        for (int i = 0; i < bytes.length; i++) {
            int b = toByte(tokenString.charAt(i));
            if (b < 0) {
                throw new IllegalArgumentException(String.format(
                        "'%s' is not a byte-level token: character U+%04X at index %d is outside the alphabet",
                        tokenString, (int) tokenString.charAt(i), i));
            }
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}

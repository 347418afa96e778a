package dev.lazyattention.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteLevelTest {

    @Test
    void mapsBytesToTheCharactersGpt2Uses() {
        // Values from GPT-2's encoder.json: 'Ġ' is a space, 'Ċ' a newline, 'Ā' NUL, 'ġ' DEL, 'Ń' the soft hyphen.
        assertEquals('!', ByteLevel.toChar('!'));
        assertEquals('~', ByteLevel.toChar('~'));
        assertEquals('é', ByteLevel.toChar(0xE9));
        assertEquals('Ġ', ByteLevel.toChar(' '));
        assertEquals('Ċ', ByteLevel.toChar('\n'));
        assertEquals('č', ByteLevel.toChar('\r'));
        assertEquals('Ā', ByteLevel.toChar(0));
        assertEquals('ġ', ByteLevel.toChar(0x7F));
        assertEquals('Ń', ByteLevel.toChar(0xAD));
        assertEquals('ł', ByteLevel.toChar(0xA0));
    }

    @Test
    void isABijectionOntoPrintableCharacters() {
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevel.toChar(b);
            assertTrue(seen.add(c), "duplicate character for byte " + b);
            assertTrue(!Character.isWhitespace(c) && !Character.isISOControl(c), "not printable for byte " + b);
            assertEquals(b, ByteLevel.toByte(c));
        }
    }

    @Test
    void convertsTokenStringsBothWays() {
        byte[] bytes = {' ', 'h', 'i', (byte) 0xE2, (byte) 0x82, (byte) 0xAC, 0};
        assertEquals("ĠhiâĤ¬Ā", ByteLevel.toTokenString(bytes));
        assertArrayEquals(bytes, ByteLevel.toBytes("ĠhiâĤ¬Ā"));
    }

    @Test
    void rejectsCharactersOutsideTheAlphabet() {
        assertEquals(-1, ByteLevel.toByte(' '));
        assertEquals(-1, ByteLevel.toByte('€'));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteLevel.toBytes("a b"));
        assertTrue(e.getMessage().contains("U+0020 at index 1"), e.getMessage());
    }
}

package dev.lazyattention.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EncodingOffsetsTest {

    private final BpeTokenizer tokenizer = TestTexts.tokenizer();
    /** No merges at all: every token is one byte, so each character's bytes are separate tokens. */
    private final BpeTokenizer bytesOnly = new BpeTrainer(257).train(List.of("anything"));

    @Test
    void asciiSpansAreTheTokenText() {
        String text = "The quick brown fox's 42 jumps,  over\n\tthe lazy dog!!";
        Encoding encoding = tokenizer.encodeWithOffsets(text);
        assertArrayEquals(tokenizer.encode(text), encoding.ids());
        for (int i = 0; i < encoding.size(); i++) {
            String tokenText = new String(tokenizer.tokenBytes(encoding.ids()[i]), StandardCharsets.UTF_8);
            assertEquals(tokenText, text.substring(encoding.charStart()[i], encoding.charEnd()[i]), "token " + i);
        }
        assertEquals(text.length(), encoding.charEnd()[encoding.size() - 1]);
    }

    @Test
    void partialCharactersGetTheWholeCharacter() {
        Encoding euro = bytesOnly.encodeWithOffsets("a€");
        assertArrayEquals(new int[] {'a', 0xE2, 0x82, 0xAC}, euro.ids());
        assertArrayEquals(new int[] {0, 1, 1, 1}, euro.charStart());
        assertArrayEquals(new int[] {1, 2, 2, 2}, euro.charEnd());

        Encoding emoji = bytesOnly.encodeWithOffsets("😀b");
        assertArrayEquals(new int[] {0xF0, 0x9F, 0x98, 0x80, 'b'}, emoji.ids());
        assertArrayEquals(new int[] {0, 0, 0, 0, 2}, emoji.charStart());
        assertArrayEquals(new int[] {2, 2, 2, 2, 3}, emoji.charEnd());
    }

    @Test
    void loneSurrogateSpansItsOwnChar() {
        Encoding encoding = bytesOnly.encodeWithOffsets("\uD800x");
        assertArrayEquals(new int[] {0xEF, 0xBF, 0xBD, 'x'}, encoding.ids());
        assertArrayEquals(new int[] {0, 0, 0, 1}, encoding.charStart());
        assertArrayEquals(new int[] {1, 1, 1, 2}, encoding.charEnd());
    }

    @Test
    void spansAreTightOrderedAndCoverTheText() {
        Random random = new Random(8);
        for (int n = 0; n < 2000; n++) {
            String text = TestTexts.randomValidString(random);
            Encoding encoding = tokenizer.encodeWithOffsets(text);
            assertArrayEquals(tokenizer.encode(text), encoding.ids());
            int byteStart = 0;
            for (int i = 0; i < encoding.size(); i++) {
                int start = encoding.charStart()[i];
                int end = encoding.charEnd()[i];
                int byteEnd = byteStart + tokenizer.tokenBytes(encoding.ids()[i]).length;
                // The span's first character holds the token's first byte, its last character the last byte.
                assertTrue(utf8Length(text, 0, start) <= byteStart, text);
                assertTrue(byteStart < utf8Length(text, 0, text.offsetByCodePoints(start, 1)), text);
                assertTrue(byteEnd <= utf8Length(text, 0, end), text);
                assertTrue(byteEnd > utf8Length(text, 0, text.offsetByCodePoints(end, -1)), text);
                if (i > 0) {
                    assertTrue(encoding.charStart()[i - 1] <= start && encoding.charEnd()[i - 1] <= end, text);
                    assertTrue(start <= encoding.charEnd()[i - 1], "gap before token " + i + " in " + text);
                } else {
                    assertEquals(0, start);
                }
                byteStart = byteEnd;
            }
            assertEquals(text.isEmpty() ? 0 : text.length(), encoding.size() == 0 ? 0 : encoding.charEnd()[encoding.size() - 1]);
        }
    }

    @Test
    void emptyTextHasNoTokens() {
        Encoding encoding = tokenizer.encodeWithOffsets("");
        assertEquals(0, encoding.size());
    }

    @Test
    void recordChecksItsArrays() {
        assertThrows(IllegalArgumentException.class, () -> new Encoding(new int[1], new int[1], new int[2]));
        assertThrows(IllegalArgumentException.class, () -> new Encoding(null, new int[0], new int[0]));
    }

    private static int utf8Length(String text, int from, int to) {
        return text.substring(from, to).getBytes(StandardCharsets.UTF_8).length;
    }
}

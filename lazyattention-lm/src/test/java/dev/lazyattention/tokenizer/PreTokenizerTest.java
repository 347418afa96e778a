package dev.lazyattention.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {

    @Test
    void splitsLikeGpt2() {
        assertEquals(List.of("Hello", " world", "'s", " 123", " ", " !!"), PreTokenizer.split("Hello world's 123  !!"));
        assertEquals(List.of("I", "'m", " here", ",", " you", "'ll", " see", "'ve", "'d", "'re", "'t"),
                PreTokenizer.split("I'm here, you'll see've'd're't"));
    }

    @Test
    void contractionsAreLowerCaseOnly() {
        assertEquals(List.of("DON", "'", "T", " don", "'t"), PreTokenizer.split("DON'T don't"));
    }

    @Test
    void whitespaceBeforeAWordLeavesOneSpaceForTheWord() {
        assertEquals(List.of(" ", " leading"), PreTokenizer.split("  leading"));
        assertEquals(List.of("trailing", "  "), PreTokenizer.split("trailing  "));
        assertEquals(List.of("a", "\n", "\n", "b"), PreTokenizer.split("a\n\nb"));
        assertEquals(List.of("a", "\n\n", " b"), PreTokenizer.split("a\n\n b"));
        assertEquals(List.of("x", "\r", "\n", "y"), PreTokenizer.split("x\r\ny"));
    }

    @Test
    void unicodeWhitespaceIsWhitespace() {
        // Without Unicode classes EM SPACE would count as punctuation and join the '!'.
        assertEquals(List.of("x", "\u2003", "!"), PreTokenizer.split("x\u2003!"));
        assertEquals(List.of("a", "\u00A0", "\u00A0", "b"), PreTokenizer.split("a\u00A0\u00A0b"));
        assertEquals(List.of("東京", "\u3000", "です"), PreTokenizer.split("東京\u3000です"));
    }

    @Test
    void lettersNumbersAndEverythingElse() {
        assertEquals(List.of("2024", "年"), PreTokenizer.split("2024年"));
        assertEquals(List.of("naïve", " café"), PreTokenizer.split("naïve café"));
        // U+0301 is a mark (Mn), neither letter nor number, so it leaves the word.
        assertEquals(List.of("e", "\u0301"), PreTokenizer.split("e\u0301"));
        assertEquals(List.of("hi", " 👋🏽!"), PreTokenizer.split("hi 👋🏽!"));
        assertEquals(List.of("<|", "endoftext", "|>"), PreTokenizer.split("<|endoftext|>"));
        assertEquals(List.of("𝔘𝔫𝔦", " ٣٤"), PreTokenizer.split("𝔘𝔫𝔦 ٣٤"));
        assertEquals(List.of(), PreTokenizer.split(""));
    }

    @Test
    void replacesLoneSurrogatesWithoutMovingOffsets() {
        assertEquals(List.of("a", "\uFFFD", "b"), PreTokenizer.split("a\uD800b"));
        assertEquals(List.of(" \uFFFD\uFFFD"), PreTokenizer.split(" \uDC00\uD83D"));
        assertEquals("x\uFFFDy😀", PreTokenizer.wellFormed("x\uDFFFy😀"));
    }

    @Test
    void piecesConcatenateToTheInput() {
        Random random = new Random(11);
        for (int i = 0; i < 2000; i++) {
            String text = TestTexts.randomValidString(random);
            assertEquals(text, String.join("", PreTokenizer.split(text)));
        }
    }

    @Test
    void independentBoundariesDoNotChangeTheSplit() {
        Random random = new Random(12);
        int checked = 0;
        for (int i = 0; i < 300; i++) {
            String text = TestTexts.randomValidString(random) + TestTexts.randomValidString(random);
            List<String> whole = PreTokenizer.split(text);
            for (int cut = 0; cut <= text.length(); cut++) {
                if (PreTokenizer.isIndependentBoundary(text, cut)) {
                    List<String> halves = new ArrayList<>(PreTokenizer.split(text.substring(0, cut)));
                    halves.addAll(PreTokenizer.split(text.substring(cut)));
                    assertEquals(whole, halves, "cut at " + cut + " of " + text);
                    checked++;
                }
            }
        }
        assertTrue(checked > 500, "too few boundaries checked: " + checked);
    }

    @Test
    void rejectsNull() {
        assertThrows(IllegalArgumentException.class, () -> PreTokenizer.split(null));
    }
}

package dev.lazyattention.spark;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BreakIteratorSentenceSplitterTest {

    private final SentenceSplitter splitter = new BreakIteratorSentenceSplitter(Locale.ENGLISH);

    @Test
    void sentencesRunFromTheirFirstToTheirLastNonWhitespaceCharacter() {
        String text = "  The dog sees the cat.\n\nIs it happy?  Yes!\t";
        List<TextSpan> spans = splitter.split(text);
        assertEquals(List.of("The dog sees the cat.", "Is it happy?", "Yes!"),
                spans.stream().map(s -> s.of(text)).toList());
        assertEquals(new TextSpan(2, 23), spans.get(0));
    }

    @Test
    void emptyAndWhitespaceOnlyTextsHaveNoSentences() {
        assertEquals(List.of(), splitter.split(""));
        assertEquals(List.of(), splitter.split(" \n\t "));
    }

    @Test
    void surrogatesAndNulsStayInTheirSentence() {
        String text = "A \ud800 b\u0000. C \ud83d\ude00.";
        assertEquals(List.of("A \ud800 b\u0000.", "C \ud83d\ude00."),
                splitter.split(text).stream().map(s -> s.of(text)).toList());
    }
}

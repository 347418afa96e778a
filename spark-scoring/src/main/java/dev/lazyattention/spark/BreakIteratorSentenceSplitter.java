package dev.lazyattention.spark;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Sentences by the JDK's {@link BreakIterator} rules for a locale. Not thread-safe (the iterator is not). */
public final class BreakIteratorSentenceSplitter implements SentenceSplitter {

    private final BreakIterator boundaries;

    public BreakIteratorSentenceSplitter(Locale locale) {
        boundaries = BreakIterator.getSentenceInstance(locale);
    }

    @Override
    public List<TextSpan> split(String document) {
        List<TextSpan> sentences = new ArrayList<>();
        boundaries.setText(document);
        int start = boundaries.first();
        for (int end = boundaries.next(); end != BreakIterator.DONE; start = end, end = boundaries.next()) {
            int begin = start;
            int last = end;
            while (begin < last && Character.isWhitespace(document.charAt(begin))) {
                begin++;
            }
            while (last > begin && Character.isWhitespace(document.charAt(last - 1))) {
                last--;
            }
            if (begin < last) {
                sentences.add(new TextSpan(begin, last));
            }
        }
        return sentences;
    }
}

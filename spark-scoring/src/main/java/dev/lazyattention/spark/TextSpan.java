package dev.lazyattention.spark;

/**
 * A sentence's place in its document: UTF-16 char offsets, {@code begin} inclusive, {@code end} exclusive
 * ({@link String#substring} semantics), from its first to its last non-whitespace character.
 */
public record TextSpan(int begin, int end) {

    public TextSpan {
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("bad span [" + begin + ", " + end + ")");
        }
    }

    /** The span's text in {@code document}. */
    public String of(String document) {
        return document.substring(begin, end);
    }
}

package dev.lazyattention.testing;

import java.util.Random;

/**
 * A seeded generator of awkward strings for fuzzing: characters from every Unicode plane, lone surrogates,
 * NUL and control characters, CRLF, combining marks, emoji sequences, long runs of one character, empty
 * strings and plain words mixed in.
 */
public final class HostileText {

    private static final String[] PIECES = {
        "", " ", "  ", "\n", "\r\n", "\t", "\u0000", "\u0007", "\u001b[31m", "\u00a0", "\u200b", "\u2028",
        "e\u0301", "\ud83d\ude00", "\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67", "\ud83d\udc4d\ud83c\udffd",
        "\ud800", "\udc00", "\udfff\ud800", "日本語", "العربية", "עברית", "Ελληνικά", "русский", "\uFFFD", "\uFEFF",
        "\uDB40\uDC01", "\uD834\uDD1E", "\uDBFF\uDFFF", "...", "!!!", "\"", "'", "<tag>", "&amp;", "dog", "The",
        "sees", "12345", "3.14", "U.S.A.", "don't", "e-mail", "#hashtag", "@user", "http://x.y/z?a=1",
    };

    private HostileText() {}

    /** One string of 0 to {@code maxPieces} pieces, sometimes random code points of any plane. */
    public static String next(Random random, int maxPieces) {
        StringBuilder sb = new StringBuilder();
        int n = random.nextInt(maxPieces + 1);
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(10);
            if (kind < 6) {
                sb.append(PIECES[random.nextInt(PIECES.length)]);
            } else if (kind < 8) {
                int plane = random.nextInt(17);
                int cp = plane * 0x10000 + random.nextInt(0x10000);
                sb.appendCodePoint(cp); // may be unassigned, a surrogate code unit or a private-use point
            } else if (kind == 8) {
                sb.append(" ");
            } else {
                char c = (char) ('a' + random.nextInt(26));
                sb.append(String.valueOf(c).repeat(1 + random.nextInt(30)));
            }
        }
        return sb.toString();
    }
}

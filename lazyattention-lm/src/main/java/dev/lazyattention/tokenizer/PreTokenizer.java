package dev.lazyattention.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the pieces that BPE merges never cross, exactly as GPT-2 and Hugging Face's
 * {@code ByteLevel} pre-tokenizer (with {@code use_regex: true, add_prefix_space: false}) do.
 *
 * <p>Every character of the input lands in exactly one piece, so concatenating the pieces gives the
 * input back. Letters and digits follow the Unicode general categories L and N, and whitespace follows
 * the Unicode White_Space property; the Unicode version is the JDK's, so characters assigned in later
 * Unicode versions than the JDK knows may be split differently from a newer Hugging Face build.
 *
 * <p>Lone surrogates cannot be written as UTF-8. They are replaced by U+FFFD before splitting, which
 * keeps every piece well formed and every character offset unchanged (both are one UTF-16 unit).
 */
public final class PreTokenizer {

    /** The GPT-2 pattern; UNICODE_CHARACTER_CLASS makes {@code \s} cover NBSP, U+3000 etc. as Oniguruma does. */
    static final Pattern PATTERN = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private PreTokenizer() {
    }

    /**
     * Returns the pieces of {@code text} in order.
     *
     * @throws IllegalArgumentException if {@code text} is null
     */
    public static List<String> split(String text) {
        String wellFormed = wellFormed(requireText(text));
        List<String> pieces = new ArrayList<>();
        Matcher matcher = PATTERN.matcher(wellFormed);
        while (matcher.find()) {
            pieces.add(matcher.group());
        }
        return pieces;
    }

    static String requireText(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null");
        }
        return text;
    }

    /** Returns {@code text} with each lone surrogate replaced by U+FFFD; the same instance when there is none. */
    static String wellFormed(String text) {
        char[] chars = null;
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (!Character.isSurrogate(c)) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
                continue;
            }
            if (chars == null) {
                chars = text.toCharArray();
            }
            chars[i] = '\uFFFD';
        }
        return chars == null ? text : new String(chars);
    }

    /**
     * Returns whether {@code index} is a piece boundary that does not depend on the text around it, so
     * the two halves can be split separately and give the same pieces as the whole. That holds between
     * a non-whitespace character and a whitespace character: no piece contains whitespace after
     * non-whitespace, and the whitespace run after the boundary is matched the same way either way.
     */
    static boolean isIndependentBoundary(CharSequence text, int index) {
        return index > 0 && index < text.length()
                && !isWhitespace(text.charAt(index - 1)) && isWhitespace(text.charAt(index));
    }

    /** The Unicode White_Space property, which is what {@code \s} means in the pattern. */
    private static boolean isWhitespace(char c) {
        int type = Character.getType(c);
        return (c >= 0x09 && c <= 0x0D) || c == 0x85
                || type == Character.SPACE_SEPARATOR
                || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
    }
}

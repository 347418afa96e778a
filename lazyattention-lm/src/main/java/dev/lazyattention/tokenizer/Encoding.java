package dev.lazyattention.tokenizer;

/**
 * Token ids together with the part of the input text each token came from.
 *
 * <p>Token {@code i} covers the UTF-16 chars {@code [charStart[i], charEnd[i])} of the encoded string.
 * A byte-level token can hold part of a character: a character outside ASCII is two to four UTF-8
 * bytes, and the merges may cut between them. Such a token reports the span of every character it
 * touches, whole, including both chars of a surrogate pair, so the spans of neighbouring tokens can
 * overlap, and several tokens can report the same one-character span. Spans never go backwards and
 * together they cover the whole input without gaps.
 *
 * <p>The arrays are handed over to the caller, not copied; the record's {@code equals} compares them
 * by identity, as for any record with array components.
 *
 * @param ids token ids
 * @param charStart first char of each token's span, inclusive
 * @param charEnd end of each token's span, exclusive
 */
public record Encoding(int[] ids, int[] charStart, int[] charEnd) {

    /** Checks that the three arrays describe the same tokens. */
    public Encoding {
        if (ids == null || charStart == null || charEnd == null) {
            throw new IllegalArgumentException("ids, charStart and charEnd must not be null");
        }
        if (charStart.length != ids.length || charEnd.length != ids.length) {
            throw new IllegalArgumentException(String.format(
                    "ids, charStart and charEnd must have the same length, got %d, %d and %d",
                    ids.length, charStart.length, charEnd.length));
        }
    }

    /** Returns the number of tokens. */
    public int size() {
        return ids.length;
    }
}

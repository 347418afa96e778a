package dev.lazyattention.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;

/**
 * A byte-level BPE tokenizer in the style of GPT-2: text is split by {@link PreTokenizer}, each piece
 * is written as UTF-8 bytes, and learned merges join adjacent tokens, lowest rank first, within each
 * piece. Every byte has a token, so any string encodes, and decoding gives the exact UTF-8 bytes back.
 *
 * <p>The vocabulary of a tokenizer made by {@link BpeTrainer} has ids 0..255 for the single bytes in
 * byte order, then the tokens in the order they were learned, then the special token
 * {@value #END_OF_TEXT} as the last id. A tokenizer read by {@link TokenizerJson} keeps the ids of its
 * file, whatever their order.
 *
 * <p>{@link #encode} treats its input as plain text: the characters {@code <|endoftext|>} inside a
 * string are encoded like any other text, never as {@link #endOfTextId()}. That keeps user text from
 * forging document boundaries; callers insert the special id themselves between documents.
 *
 * <p>Strings with lone surrogates, which have no UTF-8 form, are encoded as if each lone surrogate
 * were U+FFFD (bytes EF BF BD). {@link String#getBytes} would write {@code '?'} instead; U+FFFD keeps
 * the replacement visible after decoding.
 *
 * <p>Instances come from {@link BpeTrainer#train} or {@link TokenizerJson#load}. They are immutable
 * and safe to share between threads. Each keeps a bounded cache of the tokens of short pieces,
 * because natural text repeats the same words over and over.
 */
public final class BpeTokenizer {

    /** The special token that separates documents. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    private static final int CACHE_CAPACITY = 1 << 16;
    /** Long pieces rarely repeat and would crowd out the words the cache is for. */
    private static final int MAX_CACHED_PIECE_CHARS = 48;
    private static final int NONE = -1;

    private final byte[][] tokenBytes;
    private final String[] tokenStrings;
    private final Map<String, Integer> idsByString;
    private final int[] byteIds = new int[256];
    private final int[] mergeLeft;
    private final int[] mergeRight;
    private final int[] mergeResult;
    private final LongIntMap rankByPair;
    private final int endOfTextId;
    private final ConcurrentHashMap<String, int[]> pieceCache = new ConcurrentHashMap<>();

    /**
     * Creates a tokenizer; the arrays are taken over, not copied.
     *
     * @param tokenBytes the bytes of each token by id; the special token's entry is its UTF-8 text
     * @param endOfTextId the id of {@value #END_OF_TEXT}
     * @param mergeLeft left token of each merge, by rank
     * @param mergeRight right token of each merge, by rank
     * @param mergeResult token that each merge produces, by rank
     */
    BpeTokenizer(byte[][] tokenBytes, int endOfTextId, int[] mergeLeft, int[] mergeRight, int[] mergeResult) {
        if (endOfTextId < 0 || endOfTextId >= tokenBytes.length) {
            throw new IllegalArgumentException("special token id " + endOfTextId + " is outside the vocabulary");
        }
        this.tokenBytes = tokenBytes;
        this.endOfTextId = endOfTextId;
        this.mergeLeft = mergeLeft;
        this.mergeRight = mergeRight;
        this.mergeResult = mergeResult;

        tokenStrings = new String[tokenBytes.length];
        idsByString = new HashMap<>(tokenBytes.length * 2);
        Arrays.fill(byteIds, NONE);
        for (int id = 0; id < tokenBytes.length; id++) {
            tokenStrings[id] = id == endOfTextId ? END_OF_TEXT : ByteLevel.toTokenString(tokenBytes[id]);
            if (idsByString.put(tokenStrings[id], id) != null) {
                throw new IllegalArgumentException("token '" + tokenStrings[id] + "' appears twice in the vocabulary");
            }
            if (tokenBytes[id].length == 1) {
                byteIds[tokenBytes[id][0] & 0xFF] = id;
            }
        }
        for (int b = 0; b < 256; b++) {
            if (byteIds[b] == NONE) {
                throw new IllegalArgumentException(String.format("the vocabulary has no token for byte 0x%02X", b));
            }
        }

        rankByPair = new LongIntMap(mergeLeft.length);
        for (int rank = 0; rank < mergeLeft.length; rank++) {
            checkMerge(rank);
            long pair = LongIntMap.pair(mergeLeft[rank], mergeRight[rank]);
            if (rankByPair.get(pair) != LongIntMap.MISSING) {
                throw new IllegalArgumentException("merge " + rank + " repeats an earlier merge");
            }
            rankByPair.put(pair, rank);
        }
    }

    private void checkMerge(int rank) {
        checkId(mergeLeft[rank]);
        checkId(mergeRight[rank]);
        checkId(mergeResult[rank]);
        byte[] left = tokenBytes[mergeLeft[rank]];
        byte[] right = tokenBytes[mergeRight[rank]];
        byte[] joined = Arrays.copyOf(left, left.length + right.length);
        System.arraycopy(right, 0, joined, left.length, right.length);
        if (mergeResult[rank] == endOfTextId || !Arrays.equals(joined, tokenBytes[mergeResult[rank]])) {
            throw new IllegalArgumentException("merge " + rank + " does not produce the concatenation of its parts");
        }
    }

    /**
     * Encodes {@code text} as plain text; see the class comment for {@value #END_OF_TEXT} and lone surrogates.
     *
     * @throws IllegalArgumentException if {@code text} is null
     */
    public int[] encode(String text) {
        String wellFormed = PreTokenizer.wellFormed(PreTokenizer.requireText(text));
        IntList ids = new IntList(wellFormed.length() / 3 + 1);
        Matcher pieces = PreTokenizer.PATTERN.matcher(wellFormed);
        while (pieces.find()) {
            ids.addAll(encodePiece(wellFormed.substring(pieces.start(), pieces.end())));
        }
        return ids.toArray();
    }

    /**
     * Encodes {@code text} like {@link #encode} and reports the chars each token came from; see
     * {@link Encoding} for how tokens that split a character are reported.
     *
     * @throws IllegalArgumentException if {@code text} is null
     */
    public Encoding encodeWithOffsets(String text) {
        String wellFormed = PreTokenizer.wellFormed(PreTokenizer.requireText(text));
        int expected = wellFormed.length() / 3 + 1;
        IntList ids = new IntList(expected);
        IntList starts = new IntList(expected);
        IntList ends = new IntList(expected);
        Matcher pieces = PreTokenizer.PATTERN.matcher(wellFormed);
        while (pieces.find()) {
            String piece = wellFormed.substring(pieces.start(), pieces.end());
            int[] pieceIds = encodePiece(piece);
            int[][] charSpanOfByte = charSpanOfEachByte(piece);
            int[] spanStart = charSpanOfByte[0];
            int[] spanEnd = charSpanOfByte[1];
            int byteIndex = 0;
            for (int id : pieceIds) {
                int last = byteIndex + tokenBytes[id].length - 1;
                ids.add(id);
                starts.add(pieces.start() + spanStart[byteIndex]);
                ends.add(pieces.start() + spanEnd[last]);
                byteIndex = last + 1;
            }
        }
        return new Encoding(ids.toArray(), starts.toArray(), ends.toArray());
    }

    /** For each UTF-8 byte of {@code piece}, the char span of the character that byte belongs to. */
    private static int[][] charSpanOfEachByte(String piece) {
        int byteCount = 0;
        for (int i = 0; i < piece.length(); ) {
            int codePoint = piece.codePointAt(i);
            byteCount += utf8Length(codePoint);
            i += Character.charCount(codePoint);
        }
        int[] start = new int[byteCount];
        int[] end = new int[byteCount];
        int byteIndex = 0;
        for (int i = 0; i < piece.length(); ) {
            int codePoint = piece.codePointAt(i);
            int charEnd = i + Character.charCount(codePoint);
            for (int k = utf8Length(codePoint); k > 0; k--) {
                start[byteIndex] = i;
                end[byteIndex] = charEnd;
                byteIndex++;
            }
            i = charEnd;
        }
        return new int[][] {start, end};
    }

    private static int utf8Length(int codePoint) {
        if (codePoint < 0x80) {
            return 1;
        }
        if (codePoint < 0x800) {
            return 2;
        }
        return codePoint < 0x10000 ? 3 : 4;
    }

    /** Returns the token ids of one pre-tokenized piece; the returned array may be shared and must not change. */
    private int[] encodePiece(String piece) {
        if (piece.length() > MAX_CACHED_PIECE_CHARS) {
            return mergeBytes(piece.getBytes(StandardCharsets.UTF_8));
        }
        int[] cached = pieceCache.get(piece);
        if (cached != null) {
            return cached;
        }
        int[] ids = mergeBytes(piece.getBytes(StandardCharsets.UTF_8));
        if (pieceCache.size() >= CACHE_CAPACITY) {
            // Starting over is cheap and bounds memory; the frequent words return within a few sentences.
            pieceCache.clear();
        }
        pieceCache.put(piece, ids);
        return ids;
    }

    /**
     * Applies the merges to the bytes of one piece. Candidate pairs sit in a heap ordered by
     * (rank, position), which gives the same result as repeatedly merging the lowest-ranked pair
     * leftmost-first, but in O(n log n), so that a megabyte-long piece does not take quadratic time.
     * Heap entries are not removed when a merge changes their neighbours; instead each popped entry is
     * checked against the current tokens and dropped when stale.
     */
    private int[] mergeBytes(byte[] bytes) {
        int n = bytes.length;
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = byteIds[bytes[i] & 0xFF];
        }
        if (n < 2) {
            return ids;
        }
        int[] next = new int[n];
        int[] prev = new int[n];
        LongHeap candidates = new LongHeap(n);
        for (int i = 0; i < n; i++) {
            next[i] = i + 1;
            prev[i] = i - 1;
            if (i + 1 < n) {
                offer(candidates, ids[i], ids[i + 1], i);
            }
        }
        int remaining = n;
        while (!candidates.isEmpty()) {
            long candidate = candidates.poll();
            int rank = (int) (candidate >>> 32);
            int left = (int) candidate;
            int right = next[left];
            if (ids[left] == NONE || right == n || rankByPair.get(LongIntMap.pair(ids[left], ids[right])) != rank) {
                continue;
            }
            ids[left] = mergeResult[rank];
            ids[right] = NONE;
            remaining--;
            int after = next[right];
            next[left] = after;
            if (after < n) {
                prev[after] = left;
                offer(candidates, ids[left], ids[after], left);
            }
            if (prev[left] >= 0) {
                offer(candidates, ids[prev[left]], ids[left], prev[left]);
            }
        }
        int[] result = new int[remaining];
        for (int i = 0, k = 0; i < n; i = next[i]) {
            result[k++] = ids[i];
        }
        return result;
    }

    private void offer(LongHeap candidates, int leftId, int rightId, int position) {
        int rank = rankByPair.get(LongIntMap.pair(leftId, rightId));
        if (rank != LongIntMap.MISSING) {
            candidates.add(((long) rank << 32) | position);
        }
    }

    /**
     * Returns the bytes that {@code ids} stand for, concatenated; the special token gives its UTF-8 text.
     *
     * @throws IllegalArgumentException if {@code ids} is null or holds an id outside the vocabulary
     */
    public byte[] decodeBytes(int[] ids) {
        if (ids == null) {
            throw new IllegalArgumentException("ids must not be null");
        }
        int length = 0;
        for (int id : ids) {
            length += bytesOf(id).length;
        }
        byte[] out = new byte[length];
        int offset = 0;
        for (int id : ids) {
            byte[] bytes = tokenBytes[id];
            System.arraycopy(bytes, 0, out, offset, bytes.length);
            offset += bytes.length;
        }
        return out;
    }

    /**
     * Decodes {@code ids} to text; byte sequences that are not valid UTF-8, such as a character cut
     * off at the end, become U+FFFD.
     *
     * @throws IllegalArgumentException if {@code ids} is null or holds an id outside the vocabulary
     */
    public String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    /**
     * Returns a copy of the bytes of token {@code id}.
     *
     * @throws IllegalArgumentException if {@code id} is outside the vocabulary
     */
    public byte[] tokenBytes(int id) {
        return bytesOf(id).clone();
    }

    /**
     * Returns token {@code id} as written in {@code tokenizer.json}: its bytes in the {@link ByteLevel}
     * alphabet, or {@value #END_OF_TEXT} for the special token.
     *
     * @throws IllegalArgumentException if {@code id} is outside the vocabulary
     */
    public String tokenString(int id) {
        checkId(id);
        return tokenStrings[id];
    }

    /** Returns the id of the token written as {@code tokenString} (see {@link #tokenString}), if there is one. */
    public OptionalInt id(String tokenString) {
        Integer id = idsByString.get(tokenString);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Returns the number of ids, the special token included. */
    public int vocabSize() {
        return tokenBytes.length;
    }

    /** Returns the id of {@value #END_OF_TEXT}. */
    public int endOfTextId() {
        return endOfTextId;
    }

    /**
     * {@code ids} after one {@value #END_OF_TEXT}: a text as the model sees it at a document boundary, so that
     * its first piece is predicted too. This is the one place that builds the boundary: training streams,
     * evaluation, multiple choice, scoring, generation prompts and the DJL translator all call it, so that
     * every one of them gives the model the same ids for the same text.
     */
    public int[] afterEndOfText(int[] ids) {
        int[] tokens = new int[ids.length + 1];
        tokens[0] = endOfTextId;
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        return tokens;
    }

    int mergeCount() {
        return mergeLeft.length;
    }

    int mergeLeft(int rank) {
        return mergeLeft[rank];
    }

    int mergeRight(int rank) {
        return mergeRight[rank];
    }

    private byte[] bytesOf(int id) {
        checkId(id);
        return tokenBytes[id];
    }

    private void checkId(int id) {
        if (id < 0 || id >= tokenBytes.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary 0.." + (tokenBytes.length - 1));
        }
    }
}

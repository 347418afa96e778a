package dev.lazyattention.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Learns BPE merges from counted words by repeatedly merging the most frequent adjacent token pair.
 *
 * <p>Rescanning every word for every merge would be far too slow, so the learner keeps, for each
 * pair, its total count and the words it occurs in. A merge then visits only the words that contain
 * the pair and adjusts the counts of the pairs around each occurrence. Pairs wait in a priority queue;
 * whenever a pair's count changes a new entry with the new count is queued, and entries whose count no
 * longer matches are dropped when they reach the head.
 *
 * <p>The order is total, which makes training deterministic: higher count first, then the pair whose
 * left token's bytes are lexicographically smaller (unsigned), then the smaller right token.
 */
final class MergeLearner {

    private final List<byte[]> tokens = new ArrayList<>();
    private final Map<String, Integer> idsByTokenString = new HashMap<>();
    private final int[][] words;
    private final long[] wordCounts;
    private final LongIntMap pairIndex = new LongIntMap(1 << 16);
    private final List<Pair> pairs = new ArrayList<>();
    private final PriorityQueue<Candidate> queue;
    private final IntList mergeLeft = new IntList(1024);
    private final IntList mergeRight = new IntList(1024);
    private final IntList mergeResult = new IntList(1024);
    private final List<Pair> touched = new ArrayList<>();
    private int mergeNumber;

    /** Starts from the 256 single-byte tokens, with ids equal to the byte values. */
    MergeLearner(Map<String, Long> wordCounts) {
        for (int b = 0; b < 256; b++) {
            addToken(new byte[] {(byte) b});
        }
        List<int[]> kept = new ArrayList<>(wordCounts.size());
        List<Long> keptCounts = new ArrayList<>(wordCounts.size());
        for (Map.Entry<String, Long> entry : wordCounts.entrySet()) {
            byte[] bytes = entry.getKey().getBytes(StandardCharsets.UTF_8);
            if (bytes.length < 2) {
                continue; // no pairs, nothing to learn from
            }
            int[] symbols = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                symbols[i] = bytes[i] & 0xFF;
            }
            kept.add(symbols);
            keptCounts.add(entry.getValue());
        }
        words = kept.toArray(new int[0][]);
        this.wordCounts = keptCounts.stream().mapToLong(Long::longValue).toArray();

        Comparator<Candidate> order = Comparator.comparingLong(Candidate::count).reversed()
                .thenComparing(c -> tokens.get(c.pair().left), Arrays::compareUnsigned)
                .thenComparing(c -> tokens.get(c.pair().right), Arrays::compareUnsigned);
        queue = new PriorityQueue<>(order);
        for (int w = 0; w < words.length; w++) {
            int[] symbols = words[w];
            for (int i = 0; i + 1 < symbols.length; i++) {
                addToPair(symbols[i], symbols[i + 1], this.wordCounts[w], w);
            }
        }
        queueTouchedPairs();
    }

    /**
     * Merges until there are {@code maxTokens} tokens, no pair is left, or the most frequent pair
     * occurs fewer than {@code minFrequency} times.
     */
    void learn(int maxTokens, long minFrequency) {
        while (tokens.size() < maxTokens) {
            Candidate head = queue.poll();
            if (head == null) {
                return;
            }
            Pair pair = head.pair();
            if (head.count() != pair.count) {
                continue; // stale: the entry queued when the count last changed is still waiting
            }
            if (pair.count < minFrequency) {
                return;
            }
            merge(pair);
        }
    }

    /** Returns the learned tokenizer, with {@value BpeTokenizer#END_OF_TEXT} as the id after the last token. */
    BpeTokenizer toTokenizer() {
        byte[][] tokenBytes = tokens.toArray(new byte[tokens.size() + 1][]);
        tokenBytes[tokens.size()] = BpeTokenizer.END_OF_TEXT.getBytes(StandardCharsets.UTF_8);
        return new BpeTokenizer(tokenBytes, tokens.size(),
                mergeLeft.toArray(), mergeRight.toArray(), mergeResult.toArray());
    }

    private void merge(Pair pair) {
        int merged;
        if (pair.rank == Pair.NOT_MERGED) {
            merged = tokenFor(pair.left, pair.right);
            pair.rank = mergeLeft.size();
            mergeLeft.add(pair.left);
            mergeRight.add(pair.right);
            mergeResult.add(merged);
        } else {
            // The pair came back because a merge reused an existing token (see tokenFor); its rule is
            // already in the list, so the words are merged again without a new rule.
            merged = mergeResult.get(pair.rank);
        }
        IntList containing = pair.words;
        pair.words = new IntList(1);
        for (int k = 0; k < containing.size(); k++) {
            mergeInWord(containing.get(k), pair.left, pair.right, merged);
        }
        // Left-to-right replacement leaves no occurrence behind. Setting the count outright also discards
        // what overlapping runs like "a a a" subtracted from this pair itself.
        pair.count = 0;
        queueTouchedPairs();
    }

    /** Replaces each occurrence of (left, right) in word {@code w}, scanning left to right, and updates the pair counts. */
    private void mergeInWord(int w, int left, int right, int merged) {
        int[] symbols = words[w];
        long count = wordCounts[w];
        int[] out = null;
        int size = 0;
        for (int i = 0; i < symbols.length; i++) {
            boolean match = i + 1 < symbols.length && symbols[i] == left && symbols[i + 1] == right;
            if (!match) {
                if (out != null) {
                    out[size++] = symbols[i];
                }
                continue;
            }
            if (out == null) {
                out = Arrays.copyOf(symbols, symbols.length - 1);
                size = i;
            }
            if (size > 0) {
                // The token before may itself be the result of a merge made earlier in this scan.
                addToPair(out[size - 1], left, -count, w);
                addToPair(out[size - 1], merged, count, w);
            }
            if (i + 2 < symbols.length) {
                addToPair(right, symbols[i + 2], -count, w);
                addToPair(merged, symbols[i + 2], count, w);
            }
            out[size++] = merged;
            i++;
        }
        if (out != null) {
            words[w] = Arrays.copyOf(out, size);
        }
    }

    private void addToPair(int left, int right, long delta, int word) {
        long key = LongIntMap.pair(left, right);
        int index = pairIndex.get(key);
        if (index == LongIntMap.MISSING) {
            index = pairs.size();
            pairs.add(new Pair(left, right));
            pairIndex.put(key, index);
        }
        Pair pair = pairs.get(index);
        pair.count += delta;
        // Words are only ever added; a word that lost the pair stays listed and is skipped when merged.
        if (delta > 0 && (pair.words.size() == 0 || pair.words.last() != word)) {
            pair.words.add(word);
        }
        if (pair.touchedBy != mergeNumber) {
            pair.touchedBy = mergeNumber;
            touched.add(pair);
        }
    }

    private void queueTouchedPairs() {
        for (Pair pair : touched) {
            if (pair.count > 0) {
                queue.add(new Candidate(pair.count, pair));
            }
        }
        touched.clear();
        mergeNumber++;
    }

    /**
     * Returns the id of the concatenated token, adding it unless another merge already made the same
     * bytes. Left-to-right merging makes that rare at most, but a second token with the same bytes
     * would make the vocabulary ambiguous, so it is guarded against (as Hugging Face's trainer does).
     */
    private int tokenFor(int left, int right) {
        byte[] a = tokens.get(left);
        byte[] b = tokens.get(right);
        byte[] joined = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        Integer existing = idsByTokenString.get(ByteLevel.toTokenString(joined));
        return existing != null ? existing : addToken(joined);
    }

    private int addToken(byte[] bytes) {
        int id = tokens.size();
        tokens.add(bytes);
        idsByTokenString.put(ByteLevel.toTokenString(bytes), id);
        return id;
    }

    /** A queue entry: the pair's count when it was queued. */
    private record Candidate(long count, Pair pair) {
    }

    /** An adjacent token pair with its running count and the words that contain (or once contained) it. */
    private static final class Pair {
        static final int NOT_MERGED = -1;

        final int left;
        final int right;
        long count;
        IntList words = new IntList(2);
        int touchedBy = -1;
        int rank = NOT_MERGED;

        Pair(int left, int right) {
            this.left = left;
            this.right = right;
        }
    }
}

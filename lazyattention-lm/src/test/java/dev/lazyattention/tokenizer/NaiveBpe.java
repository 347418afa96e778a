package dev.lazyattention.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A slow, obviously correct BPE written the textbook way, to check the fast trainer and encoder
 * against: every merge recounts every pair of every word, and encoding merges the best-ranked pair
 * everywhere before looking for the next. Tokens are handled as their {@link ByteLevel} strings.
 */
final class NaiveBpe {

    /** The learned tokens (the 256 bytes first, in byte order) and merge rules as "left right". */
    record Trained(List<String> tokens, List<String> merges) {
    }

    private NaiveBpe() {
    }

    static Trained train(List<String> documents, int vocabSize, int minFrequency) {
        Map<String, Long> pieceCounts = new HashMap<>();
        for (String document : documents) {
            for (String piece : PreTokenizer.split(document)) {
                pieceCounts.merge(piece, 1L, Long::sum);
            }
        }
        List<List<String>> words = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        pieceCounts.forEach((piece, count) -> {
            words.add(symbols(piece));
            counts.add(count);
        });

        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevel.toChar(b)));
        }
        Set<String> known = new HashSet<>(tokens);
        List<String> merges = new ArrayList<>();
        while (tokens.size() < vocabSize - 1) {
            Map<List<String>, Long> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> word = words.get(w);
                for (int i = 0; i + 1 < word.size(); i++) {
                    pairCounts.merge(List.of(word.get(i), word.get(i + 1)), counts.get(w), Long::sum);
                }
            }
            List<String> best = null;
            long bestCount = 0;
            for (Map.Entry<List<String>, Long> entry : pairCounts.entrySet()) {
                long count = entry.getValue();
                if (best == null || count > bestCount || (count == bestCount && smaller(entry.getKey(), best))) {
                    best = entry.getKey();
                    bestCount = count;
                }
            }
            if (best == null || bestCount < minFrequency) {
                break;
            }
            String rule = best.get(0) + " " + best.get(1);
            if (!merges.contains(rule)) {
                merges.add(rule);
            }
            String joined = best.get(0) + best.get(1);
            if (known.add(joined)) {
                tokens.add(joined);
            }
            for (List<String> word : words) {
                mergeAll(word, best.get(0), best.get(1));
            }
        }
        return new Trained(tokens, merges);
    }

    /** Encodes like GPT-2's reference code: repeatedly merge every occurrence of the lowest-ranked pair. */
    static int[] encode(BpeTokenizer tokenizer, String text) {
        Map<String, Integer> ranks = new HashMap<>();
        for (int rank = 0; rank < tokenizer.mergeCount(); rank++) {
            ranks.putIfAbsent(tokenizer.tokenString(tokenizer.mergeLeft(rank)) + " "
                    + tokenizer.tokenString(tokenizer.mergeRight(rank)), rank);
        }
        List<Integer> ids = new ArrayList<>();
        for (String piece : PreTokenizer.split(text)) {
            List<String> word = symbols(piece);
            while (true) {
                String bestRule = null;
                int bestRank = Integer.MAX_VALUE;
                for (int i = 0; i + 1 < word.size(); i++) {
                    Integer rank = ranks.get(word.get(i) + " " + word.get(i + 1));
                    if (rank != null && rank < bestRank) {
                        bestRank = rank;
                        bestRule = word.get(i) + " " + word.get(i + 1);
                    }
                }
                if (bestRule == null) {
                    break;
                }
                String[] parts = bestRule.split(" ");
                mergeAll(word, parts[0], parts[1]);
            }
            for (String token : word) {
                ids.add(tokenizer.id(token).orElseThrow());
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static List<String> symbols(String piece) {
        List<String> symbols = new ArrayList<>();
        for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
            symbols.add(String.valueOf(ByteLevel.toChar(b)));
        }
        return symbols;
    }

    private static void mergeAll(List<String> word, String left, String right) {
        for (int i = 0; i + 1 < word.size(); i++) {
            if (word.get(i).equals(left) && word.get(i + 1).equals(right)) {
                word.set(i, left + right);
                word.remove(i + 1);
            }
        }
    }

    private static boolean smaller(List<String> a, List<String> b) {
        int c = Arrays.compareUnsigned(ByteLevel.toBytes(a.get(0)), ByteLevel.toBytes(b.get(0)));
        if (c == 0) {
            c = Arrays.compareUnsigned(ByteLevel.toBytes(a.get(1)), ByteLevel.toBytes(b.get(1)));
        }
        return c < 0;
    }
}

package dev.lazyattention.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.stream.Stream;

/**
 * Trains a {@link BpeTokenizer} on a corpus of documents.
 *
 * <p>Documents are split into pieces by {@link PreTokenizer} and the distinct pieces are counted, in
 * parallel; long documents are cut at whitespace that cannot change the split, so even a single huge
 * document is counted on all cores. Merges are then learned over the distinct pieces (see
 * {@code MergeLearner}): the most frequent adjacent pair wins, ties go to the pair whose byte strings
 * compare smallest, so the same corpus always gives the same tokenizer.
 *
 * <p>The vocabulary holds the 256 bytes, one token per learned merge (two merges can make the same
 * bytes, and then share one token), and {@value BpeTokenizer#END_OF_TEXT}. Training stops early, with a
 * smaller vocabulary than asked for, when no pair occurs at least {@code minFrequency} times.
 * Documents are plain text: {@value BpeTokenizer#END_OF_TEXT} inside them is learned as ordinary text.
 */
public final class BpeTrainer {

    /** The default minimum number of occurrences for a pair to be merged. */
    public static final int DEFAULT_MIN_FREQUENCY = 2;

    private static final int CHUNK_CHARS = 1 << 18;
    /** Bounds the text held at once when documents come from a lazy source. */
    private static final long BATCH_CHARS = 1 << 24;

    private final int vocabSize;
    private final int minFrequency;

    /**
     * Creates a trainer for {@code vocabSize} ids in all, with {@link #DEFAULT_MIN_FREQUENCY}.
     *
     * @throws IllegalArgumentException if {@code vocabSize} is below 257 (256 bytes and the special token)
     */
    public BpeTrainer(int vocabSize) {
        this(vocabSize, DEFAULT_MIN_FREQUENCY);
    }

    /**
     * Creates a trainer for {@code vocabSize} ids in all that merges only pairs seen at least
     * {@code minFrequency} times.
     *
     * @throws IllegalArgumentException if {@code vocabSize} is below 257 or {@code minFrequency} below 1
     */
    public BpeTrainer(int vocabSize, int minFrequency) {
        if (vocabSize < 257) {
            throw new IllegalArgumentException(
                    "vocabSize must be at least 257 (256 bytes and " + BpeTokenizer.END_OF_TEXT + "), got " + vocabSize);
        }
        if (minFrequency < 1) {
            throw new IllegalArgumentException("minFrequency must be at least 1, got " + minFrequency);
        }
        this.vocabSize = vocabSize;
        this.minFrequency = minFrequency;
    }

    /**
     * Trains on {@code documents}, which are read once, in order.
     *
     * @throws IllegalArgumentException if {@code documents} or one of them is null, or the corpus has no text
     */
    public BpeTokenizer train(Iterable<String> documents) {
        if (documents == null) {
            throw new IllegalArgumentException("documents must not be null");
        }
        return train(documents.iterator());
    }

    /**
     * Trains on {@code documents}; the stream is consumed but not closed.
     *
     * @throws IllegalArgumentException if {@code documents} or one of them is null, or the corpus has no text
     */
    public BpeTokenizer train(Stream<String> documents) {
        if (documents == null) {
            throw new IllegalArgumentException("documents must not be null");
        }
        return train(documents.iterator());
    }

    private BpeTokenizer train(Iterator<String> documents) {
        Map<String, Long> wordCounts = countWords(documents);
        if (wordCounts.isEmpty()) {
            throw new IllegalArgumentException("corpus has no text");
        }
        MergeLearner learner = new MergeLearner(wordCounts);
        learner.learn(vocabSize - 1, minFrequency);
        return learner.toTokenizer();
    }

    private static Map<String, Long> countWords(Iterator<String> documents) {
        Map<String, Long> counts = new HashMap<>();
        List<Chunk> batch = new ArrayList<>();
        long batchChars = 0;
        while (documents.hasNext()) {
            String document = documents.next();
            if (document == null) {
                throw new IllegalArgumentException("corpus contains a null document");
            }
            String text = PreTokenizer.wellFormed(document);
            for (int start = 0; start < text.length(); ) {
                int end = chunkEnd(text, start);
                batch.add(new Chunk(text, start, end));
                batchChars += end - start;
                start = end;
            }
            if (batchChars >= BATCH_CHARS) {
                addAll(counts, countBatch(batch));
                batch.clear();
                batchChars = 0;
            }
        }
        addAll(counts, countBatch(batch));
        return counts;
    }

    /** Returns where the chunk that begins at {@code start} ends: about CHUNK_CHARS later, at a safe boundary. */
    static int chunkEnd(String text, int start) {
        int end = start + CHUNK_CHARS;
        if (end >= text.length()) {
            return text.length();
        }
        while (end < text.length() && !PreTokenizer.isIndependentBoundary(text, end)) {
            end++;
        }
        return end;
    }

    private static Map<String, Long> countBatch(List<Chunk> batch) {
        return batch.parallelStream().collect(HashMap::new, BpeTrainer::countChunk, BpeTrainer::addAll);
    }

    private static void countChunk(Map<String, Long> counts, Chunk chunk) {
        // The region's end acts as the end of input, which is exactly what the boundary rule relies on.
        Matcher pieces = PreTokenizer.PATTERN.matcher(chunk.text()).region(chunk.start(), chunk.end());
        while (pieces.find()) {
            counts.merge(pieces.group(), 1L, Long::sum);
        }
    }

    private static void addAll(Map<String, Long> into, Map<String, Long> from) {
        from.forEach((word, count) -> into.merge(word, count, Long::sum));
    }

    /** A slice of one document, counted as a unit of parallel work. */
    private record Chunk(String text, int start, int end) {
    }
}

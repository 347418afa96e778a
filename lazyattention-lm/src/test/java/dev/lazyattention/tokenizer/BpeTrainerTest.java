package dev.lazyattention.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BpeTrainerTest {

    /*
     * "aaa aaa aab" splits into the pieces "aaa", " aaa" and " aab", once each. Pair counts:
     * (a,a) 2+2+1 = 5, (' ',a) 2, (a,b) 1, so "aa" comes first. The words become [aa a], [' ' aa a]
     * and [' ' aa b]; now (aa,a) and (' ',aa) both occur twice, and " " < "aa" byte-wise, so " aa" is
     * second. Every remaining pair occurs once.
     */
    @Test
    void learnsTheMergesDerivedByHand() {
        BpeTokenizer tokenizer = new BpeTrainer(300).train(List.of("aaa aaa aab"));
        assertEquals(List.of("a a", "Ġ aa"), merges(tokenizer));
        assertEquals(259, tokenizer.vocabSize());
        assertEquals("aa", tokenizer.tokenString(256));
        assertEquals("Ġaa", tokenizer.tokenString(257));
        assertEquals(258, tokenizer.endOfTextId());
        assertArrayEquals(new int[] {256, 'a', 257, 'a', 257, 'b'}, tokenizer.encode("aaa aaa aab"));
    }

    /*
     * With minimum frequency 1 the pairs left after the two merges above, each seen once, are
     * (aa,a), (' 'aa,a) and (' 'aa,b). " aa" sorts before "aa", and then "a" before "b".
     */
    @Test
    void breaksTiesByByteOrder() {
        BpeTokenizer tokenizer = new BpeTrainer(300, 1).train(List.of("aaa aaa aab"));
        assertEquals(List.of("a a", "Ġ aa", "Ġaa a", "Ġaa b", "aa a"), merges(tokenizer));
        assertEquals(262, tokenizer.vocabSize());
        assertArrayEquals(new int[] {260, 258, 259}, tokenizer.encode("aaa aaa aab"));
    }

    @Test
    void stopsAtTheRequestedVocabularySize() {
        BpeTokenizer tokenizer = new BpeTrainer(258).train(List.of("aaa aaa aab"));
        assertEquals(List.of("a a"), merges(tokenizer));
        assertEquals(258, tokenizer.vocabSize());
        assertEquals(257, tokenizer.endOfTextId());

        BpeTokenizer none = new BpeTrainer(257).train(List.of("aaa aaa aab"));
        assertEquals(257, none.vocabSize());
        assertEquals(List.of(), merges(none));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6})
    void agreesWithTheTextbookTrainer(int seed) {
        Random random = new Random(seed);
        List<String> corpus = new ArrayList<>();
        String alphabet = seed % 2 == 0 ? "ab " : "abcé€ \n";
        for (int d = 0; d < 40; d++) {
            StringBuilder document = new StringBuilder();
            int length = random.nextInt(60);
            for (int i = 0; i < length; i++) {
                document.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            corpus.add(document.toString());
        }
        int minFrequency = seed <= 3 ? 1 : 2;
        NaiveBpe.Trained expected = NaiveBpe.train(corpus, 400, minFrequency);
        BpeTokenizer tokenizer = new BpeTrainer(400, minFrequency).train(corpus);
        assertEquals(expected.merges(), merges(tokenizer));
        assertEquals(expected.tokens().size() + 1, tokenizer.vocabSize());
        for (int id = 0; id < expected.tokens().size(); id++) {
            assertEquals(expected.tokens().get(id), tokenizer.tokenString(id), "id " + id);
        }
    }

    @Test
    void agreesWithTheTextbookTrainerOnLongerText() {
        List<String> corpus = TestTexts.corpus(new Random(21), 300);
        NaiveBpe.Trained expected = NaiveBpe.train(corpus, 420, 2);
        BpeTokenizer tokenizer = new BpeTrainer(420).train(corpus);
        assertEquals(expected.merges(), merges(tokenizer));
    }

    @Test
    void countsHugeDocumentsInChunksWithoutChangingTheResult() {
        // Longer than one chunk, so the document is cut at whitespace and counted in parallel.
        StringBuilder document = new StringBuilder();
        for (String part : TestTexts.corpus(new Random(4), 6000)) {
            document.append(part);
        }
        assertTrue(document.length() > 600_000, "document too short: " + document.length());
        BpeTokenizer whole = new BpeTrainer(300).train(List.of(document.toString()));
        NaiveBpe.Trained expected = NaiveBpe.train(List.of(document.toString()), 300, 2);
        assertEquals(expected.merges(), merges(whole));
    }

    @Test
    void chunksEndAtBoundariesThatKeepTheSplit() {
        String text = String.join("", TestTexts.corpus(new Random(9), 8000));
        List<String> pieces = new ArrayList<>();
        int chunks = 0;
        for (int start = 0; start < text.length(); chunks++) {
            int end = BpeTrainer.chunkEnd(text, start);
            pieces.addAll(PreTokenizer.split(text.substring(start, end)));
            start = end;
        }
        assertTrue(chunks > 2, "only " + chunks + " chunks");
        assertEquals(PreTokenizer.split(text), pieces);
    }

    @Test
    void isDeterministic() throws IOException {
        List<String> corpus = TestTexts.corpus(new Random(33), 2000);
        byte[] first = json(new BpeTrainer(1500).train(corpus));
        byte[] second = json(new BpeTrainer(1500).train(corpus.stream()));
        assertArrayEquals(first, second);
    }

    @Test
    void rejectsBadSettingsAndCorpora() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(256));
        assertTrue(small.getMessage().contains("at least 257"), small.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(1000, 0));

        BpeTrainer trainer = new BpeTrainer(1000);
        for (List<String> empty : List.of(List.<String>of(), List.of("", ""))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.train(empty));
            assertEquals("corpus has no text", e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> trainer.train(Arrays.asList("a", null)));
        assertThrows(IllegalArgumentException.class, () -> trainer.train((Iterable<String>) null));
        assertThrows(IllegalArgumentException.class, () -> trainer.train((Stream<String>) null));
    }

    static List<String> merges(BpeTokenizer tokenizer) {
        List<String> merges = new ArrayList<>();
        for (int rank = 0; rank < tokenizer.mergeCount(); rank++) {
            merges.add(tokenizer.tokenString(tokenizer.mergeLeft(rank)) + " " + tokenizer.tokenString(tokenizer.mergeRight(rank)));
        }
        return merges;
    }

    private static byte[] json(BpeTokenizer tokenizer) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TokenizerJson.write(tokenizer, out);
        return out.toByteArray();
    }
}

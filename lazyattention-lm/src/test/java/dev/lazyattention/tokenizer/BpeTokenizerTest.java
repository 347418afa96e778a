package dev.lazyattention.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.testing.Fuzzing;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BpeTokenizerTest {

    private final BpeTokenizer tokenizer = TestTexts.tokenizer();

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "Hello, world!",
        "👋🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🧑🏿‍🤝‍🧑🏻 👍🏼👍🏿",
        "東京は日本の首都です。北京是中国的首都。한국어 テキスト",
        "مرحبا بالعالم، كيف حالك؟ ٣٤٥",
        "e\u0301 a\u0308\u0323 Z\u0351\u0360\u0361 ส\u0e38\u0e4c",
        "plane 1 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𓀀, plane 2 𠀀𪛖, plane 3 𰀀, plane 14 \uDB40\uDC01, plane 15 \uDB80\uDC00, plane 16 \uDBFF\uDFFF",
        "line one\r\nline two\r\n\r\n\ttabbed\n",
        "nul\u0000inside\u0000\u0000",
        "\uFEFFbom \uFFFE\uFFFF noncharacters",
        "<|endoftext|>",
        "   ",
        "a",
    })
    void roundTripsExactly(String text) {
        int[] ids = tokenizer.encode(text);
        assertEquals(text, tokenizer.decode(ids));
        assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), tokenizer.decodeBytes(ids));
        assertArrayEquals(NaiveBpe.encode(tokenizer, text), ids);
    }

    @Test
    void roundTripsRandomStrings() {
        Random random = new Random(2024);
        for (int i = 0, n = Fuzzing.inputs(); i < n; i++) {
            String text = TestTexts.randomValidString(random);
            int[] ids = tokenizer.encode(text);
            assertEquals(text, tokenizer.decode(ids), () -> "text " + Arrays.toString(text.codePoints().toArray()));
            assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), tokenizer.decodeBytes(ids));
        }
    }

    @Test
    void hostileStringsEncodeWithinBoundsAndDecodeToTheirUtf8Reading() {
        Random random = new Random(99);
        for (int i = 0, n = Fuzzing.inputs(); i < n; i++) {
            String text = dev.lazyattention.testing.HostileText.next(random, 12);
            Encoding e = tokenizer.encodeWithOffsets(text);
            assertArrayEquals(tokenizer.encode(text), e.ids(), "case " + i);
            for (int t = 0; t < e.ids().length; t++) {
                int begin = e.charStart()[t];
                int end = e.charEnd()[t];
                assertTrue(0 <= begin && begin <= end && end <= text.length(), "case " + i + " token " + t);
                assertTrue(t == 0 || begin >= e.charStart()[t - 1], "case " + i + ": offsets go backwards");
            }
            // Independent expectation: every unpaired surrogate reads as U+FFFD, everything else is kept.
            StringBuilder expected = new StringBuilder();
            text.codePoints().forEach(cp -> expected.appendCodePoint(Character.isSurrogate((char) cp) && cp < 0x10000 ? 0xFFFD : cp));
            assertEquals(expected.toString(), tokenizer.decode(e.ids()), "case " + i);
        }
    }

    @Test
    void encodesLikeTheTextbookAlgorithm() {
        Random random = new Random(99);
        for (int i = 0; i < 1000; i++) {
            String text = TestTexts.randomValidString(random);
            assertArrayEquals(NaiveBpe.encode(tokenizer, text), tokenizer.encode(text), text);
        }
        for (String document : TestTexts.corpus(new Random(5), 200)) {
            assertArrayEquals(NaiveBpe.encode(tokenizer, document), tokenizer.encode(document), document);
        }
    }

    @Test
    void roundTripsAOneMegabyteLine() {
        StringBuilder line = new StringBuilder();
        Random random = new Random(3);
        while (line.length() < 1_000_000) {
            line.append(TestTexts.randomValidString(random).replace('\n', ' ').replace('\r', ' '));
        }
        String text = line.toString();
        assertEquals(text, tokenizer.decode(tokenizer.encode(text)));
    }

    @Test
    void handlesAOneMegabytePiece() {
        // One piece, so the merges run on a million bytes at once.
        String text = "theon".repeat(200_000);
        int[] ids = tokenizer.encode(text);
        assertEquals(text, tokenizer.decode(ids));
        assertTrue(ids.length < text.length() / 2, "merges barely applied: " + ids.length);
    }

    @Test
    void vocabularyStartsWithTheBytesAndEndsWithTheSpecialToken() {
        for (int b = 0; b < 256; b++) {
            assertArrayEquals(new byte[] {(byte) b}, tokenizer.tokenBytes(b));
            assertEquals(String.valueOf(ByteLevel.toChar(b)), tokenizer.tokenString(b));
        }
        assertEquals(2000, tokenizer.vocabSize());
        assertEquals(1999, tokenizer.endOfTextId());
        assertEquals(BpeTokenizer.END_OF_TEXT, tokenizer.tokenString(1999));
        assertEquals(1999, tokenizer.id(BpeTokenizer.END_OF_TEXT).getAsInt());
        assertArrayEquals(BpeTokenizer.END_OF_TEXT.getBytes(StandardCharsets.UTF_8), tokenizer.tokenBytes(1999));
    }

    @Test
    void tokenStringsAndIdsAgree() {
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            assertEquals(id, tokenizer.id(tokenizer.tokenString(id)).getAsInt());
        }
        assertFalse(tokenizer.id("not a token at all").isPresent());
        assertEquals(' ', tokenizer.tokenBytes(tokenizer.id("Ġ").getAsInt())[0]);
    }

    @Test
    void specialTokenTextInInputIsPlainText() {
        int[] ids = tokenizer.encode("a<|endoftext|>b");
        assertFalse(IntStream.of(ids).anyMatch(id -> id == tokenizer.endOfTextId()));
        assertEquals("a<|endoftext|>b", tokenizer.decode(ids));
        assertEquals("x<|endoftext|>y", tokenizer.decode(new int[] {'x', tokenizer.endOfTextId(), 'y'}));
    }

    @Test
    void loneSurrogatesEncodeAsReplacementCharacter() {
        assertArrayEquals(tokenizer.encode("a\uFFFDb"), tokenizer.encode("a\uD800b"));
        assertArrayEquals(new byte[] {'x', (byte) 0xEF, (byte) 0xBF, (byte) 0xBD},
                tokenizer.decodeBytes(tokenizer.encode("x\uDC00")));
        assertEquals("\uFFFD😀\uFFFD", tokenizer.decode(tokenizer.encode("\uDBFF😀\uDFFF")));
    }

    @Test
    void decodeReplacesMalformedUtf8() {
        int[] euro = tokenizer.encode("€"); // E2 82 AC
        byte[] bytes = tokenizer.decodeBytes(euro);
        assertEquals(3, bytes.length);
        int[] cut = {bytes[0] & 0xFF, 'a'};
        assertEquals("\uFFFDa", tokenizer.decode(cut));
    }

    @Test
    void tokenBytesReturnsACopy() {
        byte[] bytes = tokenizer.tokenBytes('a');
        bytes[0] = 'b';
        assertEquals('a', tokenizer.tokenBytes('a')[0]);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> tokenizer.encode(null));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.encodeWithOffsets(null));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(null));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.decodeBytes(new int[] {2000}));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenBytes(2000));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenString(-1));
    }

    @Test
    void mergesActuallyCompress() {
        String text = "the quick brown fox jumps over the lazy dog";
        int[] ids = tokenizer.encode(text);
        assertTrue(ids.length < text.length(), Arrays.toString(ids));
        int the = tokenizer.id("the").orElseThrow();
        assertEquals(the, ids[0]);
        assertNotEquals(-1, tokenizer.id("Ġthe").orElse(-1));
    }

    @Test
    void isSafeToShareBetweenThreads() throws Exception {
        List<String> texts = new ArrayList<>();
        Random random = new Random(17);
        for (int i = 0; i < 400; i++) {
            texts.add(TestTexts.randomValidString(random));
        }
        BpeTokenizer fresh = new BpeTrainer(600).train(TestTexts.corpus(new Random(1), 300));
        List<int[]> expected = texts.stream().map(t -> NaiveBpe.encode(fresh, t)).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int thread = 0; thread < 4; thread++) {
                int shift = thread;
                futures.add(pool.submit(() -> {
                    for (int round = 0; round < 5; round++) {
                        for (int i = 0; i < texts.size(); i++) {
                            int k = (i + shift * 97) % texts.size();
                            assertArrayEquals(expected.get(k), fresh.encode(texts.get(k)));
                        }
                    }
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdown();
        }
    }
}

package dev.lazyattention.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads our {@code tokenizer.json} into the Hugging Face tokenizers library itself (the native build
 * bundled in DJL's jar, so nothing is downloaded) and checks that it produces the same ids.
 */
class HuggingFaceCrossCheckTest {

    private static final Map<String, String> OPTIONS = Map.of(
            "addSpecialTokens", "false", "truncation", "false", "padding", "false");

    @BeforeAll
    static void stayOffline() {
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
    }

    @Test
    void huggingFaceEncodesAndDecodesTheSame(@TempDir Path dir) throws IOException {
        BpeTokenizer ours = TestTexts.tokenizer();
        Path file = dir.resolve("tokenizer.json");
        TokenizerJson.save(ours, file);

        List<String> texts = new ArrayList<>(List.of(
                "Hello world's 123  !!", "I'm here, you'll see've'd're't DON'T", "  leading", "trailing  ",
                "a\n\nb", "a\n\n b", "x\r\ny\r\n\r\n", "x\u2003!", "a\u00A0\u00A0b", "東京\u3000です", "e\u0301",
                "tabs\t\tand\u000B\u000C\u0085\u2028\u2029\u202F\u205F mixed", "2024年 ٣٤٥ ⅷ ²³",
                "nul\u0000inside", "👩🏽‍💻 🏳️‍🌈", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \uDBFF\uDFFF", "", "   ", "theon".repeat(2000)));
        texts.addAll(TestTexts.corpus(new Random(40), 100));
        Random random = new Random(41);
        for (int i = 0; i < 300; i++) {
            texts.add(TestTexts.randomValidString(random));
        }

        // Hugging Face turns the special token's text into its id; ours keeps it as plain text on purpose.
        texts.removeIf(text -> text.contains(BpeTokenizer.END_OF_TEXT));

        try (HuggingFaceTokenizer theirs = HuggingFaceTokenizer.newInstance(file, OPTIONS)) {
            for (String text : texts) {
                long[] expected = theirs.encode(text).getIds();
                assertArrayEquals(LongStream.of(expected).mapToInt(Math::toIntExact).toArray(), ours.encode(text), text);
                assertEquals(theirs.decode(expected, false), ours.decode(ours.encode(text)), text);
            }
        }
    }
}

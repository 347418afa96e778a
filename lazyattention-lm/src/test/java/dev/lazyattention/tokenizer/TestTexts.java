package dev.lazyattention.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded text generators and a shared tokenizer trained on a synthetic corpus. */
final class TestTexts {

    private static final String[] SYLLABLES = {
        "the", "an", "ing", "er", "on", "re", "at", "st", "en", "or", "qu", "ly", "tion", "pre", "ex", "ment"
    };

    private static final String[] SENTENCES = {
        "The quick brown fox jumps over the lazy dog.\n",
        "It's 2024; we'll see what they've done (or haven't).\r\n",
        "Grüße aus Köln: naïve café, résumé, jalapeño.\n",
        "東京は日本の首都です。北京是中国的首都。\n",
        "مرحبا بالعالم، كيف حالك؟\n",
        "नमस्ते दुनिया, आप कैसे हैं?\n",
        "안녕하세요 세계 여러분!\n",
        "Emoji: 👋🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 🇯🇵 done.\n",
        "Tabs\tand  double  spaces   and\u00A0nbsp\u3000ideographic space.\n",
    };

    private static final int[][] SCRIPT_RANGES = {
        {0x20, 0x7E}, {0xA0, 0x17F}, {0x300, 0x36F}, {0x370, 0x3FF}, {0x400, 0x4FF}, {0x590, 0x6FF},
        {0x900, 0x97F}, {0x3040, 0x30FF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3}, {0x1F300, 0x1FAFF},
        {0x1F3FB, 0x1F3FF}, {0x2000, 0x206F}, {0xFE00, 0xFE0F}, {0xE000, 0xF8FF}, {0xFFF0, 0xFFFF},
        {0x10000, 0x1FFFF}, {0x20000, 0x3FFFF}, {0xE0000, 0xE01EF}, {0xF0000, 0x10FFFF},
    };

    private static final String[] FRAGMENTS = {
        " ", "  ", "\n", "\r\n", "\t", "\u0000", "'s", "'ll", "'", "123", " 4", "!!", "...", "\u200D", "\uFE0F",
        "👩🏽‍💻", "🏳️‍🌈", "e\u0301", "\u00A0", "\u3000", "<|endoftext|>",
    };

    private static BpeTokenizer tokenizer;

    private TestTexts() {
    }

    /** A tokenizer with 2000 ids trained on {@link #corpus}, shared because training takes a moment. */
    static synchronized BpeTokenizer tokenizer() {
        if (tokenizer == null) {
            tokenizer = new BpeTrainer(2000).train(corpus(new Random(7), 3000));
        }
        return tokenizer;
    }

    /** Documents of made-up words with a few repeated sentences in many scripts. */
    static List<String> corpus(Random random, int documents) {
        List<String> corpus = new ArrayList<>();
        for (int d = 0; d < documents; d++) {
            StringBuilder text = new StringBuilder();
            int words = 5 + random.nextInt(30);
            for (int w = 0; w < words; w++) {
                text.append(w == 0 ? "" : " ").append(word(random));
                if (random.nextInt(12) == 0) {
                    text.append(random.nextBoolean() ? "," : ".");
                }
            }
            text.append('\n');
            if (random.nextInt(4) == 0) {
                text.append(SENTENCES[random.nextInt(SENTENCES.length)]);
            }
            corpus.add(text.toString());
        }
        return corpus;
    }

    private static String word(Random random) {
        // Squaring skews the choice towards the first syllables, so some words are far more common than others.
        StringBuilder word = new StringBuilder();
        int syllables = 1 + random.nextInt(3);
        for (int s = 0; s < syllables; s++) {
            double u = random.nextDouble();
            word.append(SYLLABLES[(int) (u * u * SYLLABLES.length)]);
        }
        return random.nextInt(10) == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word.toString();
    }

    /** A well-formed string (no lone surrogates) drawn from many scripts, all planes and awkward fragments. */
    static String randomValidString(Random random) {
        StringBuilder text = new StringBuilder();
        int parts = random.nextInt(12);
        for (int p = 0; p < parts; p++) {
            switch (random.nextInt(4)) {
                case 0 -> text.append(FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
                case 1 -> {
                    String sentence = SENTENCES[random.nextInt(SENTENCES.length)];
                    int codePoints = Math.min(1 + random.nextInt(10), sentence.codePointCount(0, sentence.length()));
                    text.append(sentence, 0, sentence.offsetByCodePoints(0, codePoints));
                }
                case 2 -> text.append(word(random));
                default -> {
                    int[] range = SCRIPT_RANGES[random.nextInt(SCRIPT_RANGES.length)];
                    int count = 1 + random.nextInt(6);
                    for (int i = 0; i < count; i++) {
                        // No range includes the surrogates, so every code point stands on its own.
                        text.appendCodePoint(range[0] + random.nextInt(range[1] - range[0] + 1));
                    }
                }
            }
        }
        return text.toString();
    }
}

package dev.lazyattention.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A small English-like corpus made from a toy grammar with a seeded generator, so that tests need no
 * corpus files: regular enough for a tiny model to learn in seconds, varied enough to be text.
 */
public final class SyntheticCorpus {

    private static final String[] ADJECTIVES = {"quick", "lazy", "small", "bright", "quiet", "old", "green", "happy"};
    private static final String[] NOUNS = {"fox", "dog", "cat", "bird", "child", "farmer", "river", "garden", "house"};
    private static final String[] VERBS = {"sees", "likes", "follows", "finds", "watches", "helps", "visits"};
    private static final String[] PLACES = {"in the morning", "near the river", "after dinner", "on Sunday", "at night"};

    private SyntheticCorpus() {}

    /** One sentence. */
    public static String sentence(Random random) {
        String s = "The " + pick(random, ADJECTIVES) + " " + pick(random, NOUNS) + " " + pick(random, VERBS)
                + " the " + pick(random, NOUNS);
        if (random.nextInt(3) == 0) {
            s += " " + pick(random, PLACES);
        }
        if (random.nextInt(5) == 0) {
            s += ", and " + (2 + random.nextInt(9)) + " " + pick(random, NOUNS) + "s agree";
        }
        return s + ".";
    }

    /** {@code count} paragraphs of 3 to 6 sentences. */
    public static List<String> documents(int count, long seed) {
        Random random = new Random(seed);
        List<String> docs = new ArrayList<>();
        for (int d = 0; d < count; d++) {
            StringBuilder sb = new StringBuilder();
            int sentences = 3 + random.nextInt(4);
            for (int s = 0; s < sentences; s++) {
                if (s > 0) {
                    sb.append(' ');
                }
                sb.append(sentence(random));
            }
            docs.add(sb.toString());
        }
        return docs;
    }

    private static String pick(Random random, String[] words) {
        return words[random.nextInt(words.length)];
    }
}

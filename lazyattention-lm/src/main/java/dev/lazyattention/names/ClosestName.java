package dev.lazyattention.names;

import java.util.Collection;
import java.util.Locale;

/**
 * The known name closest to a misspelt one, for "did you mean" messages of every front end (CLI options,
 * CoreNLP properties, OpenNLP parameters). Its own small Levenshtein distance: CoreNLP has one, but the
 * language model must not depend on CoreNLP.
 */
public final class ClosestName {

    private ClosestName() {}

    /**
     * The name of {@code known} closest to {@code name}, case ignored: among the names that {@code name}
     * begins or that begin it, if any (so that {@code warmup} finds {@code warmupSteps} and {@code
     * progressBar} finds {@code progress}), else among all, the one at the smallest edit distance; the first
     * such one on a tie.
     *
     * @throws IllegalArgumentException if {@code known} is empty
     */
    public static String closest(String name, Collection<String> known) {
        String lower = name.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        boolean bestIsPrefix = false;
        for (String candidate : known) {
            String c = candidate.toLowerCase(Locale.ROOT);
            boolean prefix = !c.isEmpty() && !lower.isEmpty() && (c.startsWith(lower) || lower.startsWith(c));
            int d = distance(lower, c);
            if ((prefix && !bestIsPrefix) || (prefix == bestIsPrefix && d < bestDistance)) {
                best = candidate;
                bestDistance = d;
                bestIsPrefix = prefix;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("no known names to compare '" + name + "' with");
        }
        return best;
    }

    /** Levenshtein distance: the fewest single-character insertions, deletions and substitutions. */
    public static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}

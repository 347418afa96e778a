package dev.lazyattention.spark;

import java.util.Locale;

/** Which sentence splitter cuts documents into the sentences that are scored one by one. */
public enum SentenceSplitting {
    /** {@link java.text.BreakIterator} of the JDK: no extra dependency. */
    JDK,
    /**
     * Stanford CoreNLP's {@code tokenize,ssplit}, the pipeline the {@code lazylm} CoreNLP annotator runs in.
     * Needs {@code corenlp-annotator} and {@code stanford-corenlp} on the class path; both are GPL-3.0, so a
     * deployment that adds them is a combined work under GPL-3.0-or-later.
     */
    CORENLP;

    /** Parses {@code jdk} or {@code corenlp} (any case). */
    public static SentenceSplitting parse(String name) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (key) {
            case "jdk":
                return JDK;
            case "corenlp":
                return CORENLP;
            default:
                throw new IllegalArgumentException("unknown sentence splitter '" + name + "': expected jdk or corenlp");
        }
    }
}

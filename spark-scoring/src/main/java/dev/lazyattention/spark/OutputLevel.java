package dev.lazyattention.spark;

import java.util.Locale;

/** What a scoring job writes: a row per document, a row per sentence, or a row per document with its sentences. */
public enum OutputLevel {
    /** One row per document with the document's scores. */
    DOCUMENTS,
    /** One row per sentence. */
    SENTENCES,
    /** One row per document with its scores and an array of its sentences' scores. */
    BOTH;

    boolean scoresDocuments() {
        return this != SENTENCES;
    }

    boolean scoresSentences() {
        return this != DOCUMENTS;
    }

    /** Parses {@code documents}, {@code sentences} or {@code both} (any case). */
    public static OutputLevel parse(String name) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (key) {
            case "documents":
                return DOCUMENTS;
            case "sentences":
                return SENTENCES;
            case "both":
                return BOTH;
            default:
                throw new IllegalArgumentException(
                        "unknown level '" + name + "': expected documents, sentences or both");
        }
    }
}

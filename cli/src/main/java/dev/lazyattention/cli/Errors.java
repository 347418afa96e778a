package dev.lazyattention.cli;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Turns exceptions into one line for the user (the stack trace with -Dlazyattention.stacktrace=true). */
final class Errors {

    private Errors() {}

    /**
     * The most useful message in the cause chain: the outermost one that explains bad input, past generic
     * wrappers (CoreNLP, for one, wraps an annotator's configuration error in its own reflection error).
     */
    static String describe(Throwable e) {
        Throwable chosen = e;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if ((t instanceof IllegalArgumentException || t instanceof IOException || t instanceof IllegalStateException)
                    && t.getMessage() != null && !(t instanceof UncheckedIOException)) {
                chosen = t;
                break;
            }
        }
        String message = chosen.getMessage();
        if (message == null || message.isBlank()) {
            return chosen.getClass().getSimpleName();
        }
        if (chosen instanceof java.nio.file.NoSuchFileException) {
            return message + ": file not found";
        }
        if (chosen instanceof java.nio.file.AccessDeniedException) {
            return message + ": permission denied";
        }
        return message;
    }
}

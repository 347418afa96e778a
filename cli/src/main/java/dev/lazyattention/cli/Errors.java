package dev.lazyattention.cli;

import java.io.UncheckedIOException;

/** Turns exceptions into one line for the user (the stack trace with -Dlazyattention.stacktrace=true). */
final class Errors {

    private Errors() {}

    static String describe(Throwable e) {
        Throwable t = e;
        while ((t instanceof UncheckedIOException || t.getClass() == RuntimeException.class) && t.getCause() != null) {
            t = t.getCause();
        }
        String message = t.getMessage();
        if (message == null || message.isBlank()) {
            message = t.getClass().getSimpleName();
        } else if (t instanceof java.nio.file.NoSuchFileException) {
            message = message + ": file not found";
        } else if (t instanceof java.nio.file.AccessDeniedException) {
            message = message + ": permission denied";
        }
        return message;
    }
}

package dev.lazyattention.modelfile;

import java.io.IOException;

/** A model file that cannot be read: truncated, corrupt, foreign or inconsistent. Names the file and entry. */
public final class ModelFileException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final String entry;
    private final String problem;

    public ModelFileException(String file, String entry, String problem) {
        super(file + (entry == null ? "" : " [" + entry + "]") + ": " + problem);
        this.file = file;
        this.entry = entry;
        this.problem = problem;
    }

    public ModelFileException(String file, String entry, String problem, Throwable cause) {
        this(file, entry, problem);
        initCause(cause);
    }

    /** The model file (or stream description) that was refused. */
    public String file() {
        return file;
    }

    /** The offending entry, or null when the problem is the file as a whole. */
    public String entry() {
        return entry;
    }

    /** What is wrong, without the file and entry. */
    public String problem() {
        return problem;
    }
}

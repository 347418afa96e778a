package dev.lazyattention.spark;

/** The model file is neither at its path nor among the files shipped to this executor. */
public final class ModelNotFoundException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public ModelNotFoundException(String message) {
        super(message);
    }
}

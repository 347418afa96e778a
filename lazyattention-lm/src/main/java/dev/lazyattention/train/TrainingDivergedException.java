package dev.lazyattention.train;

/** Training produced a NaN or infinite loss or gradient and the policy was to stop. */
public final class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TrainingDivergedException(String message) {
        super(message);
    }
}

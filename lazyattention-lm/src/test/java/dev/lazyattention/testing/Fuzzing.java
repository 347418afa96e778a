package dev.lazyattention.testing;

/**
 * How many inputs each fuzz test tries: the system property {@value #PROPERTY}, which the build sets to 1,000
 * by default and to 10,000 under {@code -Pfull}; the inputs of a smaller run are the first ones of a larger
 * run with the same seed.
 */
public final class Fuzzing {

    public static final String PROPERTY = "lazyattention.fuzz.inputs";
    public static final int DEFAULT_INPUTS = 1000;

    private Fuzzing() {}

    public static int inputs() {
        int n = Integer.getInteger(PROPERTY, DEFAULT_INPUTS);
        if (n < 1) {
            throw new IllegalArgumentException(PROPERTY + " = " + n + ": a fuzz test needs at least one input");
        }
        return n;
    }
}

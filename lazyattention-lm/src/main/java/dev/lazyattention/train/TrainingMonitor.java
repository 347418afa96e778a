package dev.lazyattention.train;

/** Hears about training progress; may ask training to stop early (a checkpoint is written first). */
public interface TrainingMonitor {

    /**
     * After each optimizer step.
     *
     * @param step 1-based step just completed
     * @param loss mean training loss of that step
     * @return false to stop after this step
     */
    default boolean onStep(int step, double loss) {
        return true;
    }

    /** After each validation. */
    default void onValidation(int step, double loss) {}

    /** A monitor that hears nothing and never stops training. */
    TrainingMonitor NONE = new TrainingMonitor() {};
}

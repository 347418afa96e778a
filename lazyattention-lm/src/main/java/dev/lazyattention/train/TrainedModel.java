package dev.lazyattention.train;

import dev.lazyattention.lm.LazyLanguageModel;

/**
 * What {@link TrainingRecipe#train} made: the model in memory and the summary of its training run. Owns the
 * model: closing this closes it, unless {@link #release()} handed it on.
 */
public final class TrainedModel implements AutoCloseable {

    private final LazyLanguageModel model;
    private final TrainResult result;
    private boolean released;

    TrainedModel(LazyLanguageModel model, TrainResult result) {
        this.model = model;
        this.result = result;
    }

    /** The trained model; it stays this object's to close. */
    public LazyLanguageModel model() {
        return model;
    }

    /** Steps, losses, speed and the files written. */
    public TrainResult result() {
        return result;
    }

    /** Hands the model to the caller, who closes it from now on; closing this object then leaves it open. */
    public synchronized LazyLanguageModel release() {
        released = true;
        return model;
    }

    @Override
    public synchronized void close() {
        if (!released) {
            model.close();
        }
    }
}

package dev.lazyattention.train;

import java.nio.file.Path;

/**
 * Summary of a finished training run.
 *
 * @param steps optimizer steps done in total (resumed runs included)
 * @param trainLoss mean training loss of the last logged steps
 * @param validLoss last validation loss (NaN without validation data)
 * @param tokensPerSecond training tokens per second of this process
 * @param wallSeconds wall time of this process
 * @param skippedSteps steps dropped by the SKIP policy
 * @param model the final model file
 * @param checkpoint the last checkpoint
 * @param metrics the JSON-lines log
 * @param outcome whether this process trained, or found the run finished already
 */
public record TrainResult(int steps, double trainLoss, double validLoss, double tokensPerSecond, double wallSeconds,
        int skippedSteps, Path model, Path checkpoint, Path metrics, Outcome outcome) {

    /** What a call to {@link LmTrainer#train} or {@link LmTrainer#resume} did. */
    public enum Outcome {
        /** Steps were trained (all of them, or up to a stop asked for by the monitor). */
        TRAINED,
        /**
         * The checkpoint was already at the last step but the model file was missing or stale (the run was
         * killed between its last checkpoint and its model file): the model file was written from the
         * checkpoint's weights, nothing was trained.
         */
        MODEL_WRITTEN_FROM_CHECKPOINT,
        /** The checkpoint was already at the last step and the model file held its weights: nothing was done. */
        ALREADY_FINISHED
    }

    /** A run that trained. */
    public TrainResult(int steps, double trainLoss, double validLoss, double tokensPerSecond, double wallSeconds,
            int skippedSteps, Path model, Path checkpoint, Path metrics) {
        this(steps, trainLoss, validLoss, tokensPerSecond, wallSeconds, skippedSteps, model, checkpoint, metrics,
                Outcome.TRAINED);
    }
}

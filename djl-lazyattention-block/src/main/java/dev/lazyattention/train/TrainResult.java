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
 */
public record TrainResult(int steps, double trainLoss, double validLoss, double tokensPerSecond, double wallSeconds,
        int skippedSteps, Path model, Path checkpoint, Path metrics) {}

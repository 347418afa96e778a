package dev.lazyattention.train;

import java.util.Locale;

/**
 * Options of one training run. Defaults follow common practice for small decoders: AdamW (0.9, 0.95),
 * weight decay 0.1 on matrices, linear warmup then cosine decay to a tenth of the peak rate, global
 * gradient-norm clipping at 1.0.
 */
public final class TrainOptions {

    /** What to do when a batch gives a NaN or infinite loss or gradient. */
    public enum NonFinitePolicy {
        /** Stop with a clear error; the last checkpoint on disk stays as it was. */
        STOP,
        /** Drop that batch's gradients and go on. */
        SKIP
    }

    int steps = 1000;
    // 16 windows per optimizer step as 4 forward passes of 4: on CPU the smaller activations stay below
    // glibc's mmap threshold and are reused instead of being mapped afresh (docs/performance.md, change 1).
    int batchSize = 4;
    int gradientAccumulation = 4;
    int sequenceLength = -1;
    float learningRate = 1e-3f;
    float minLearningRate = -1f;
    int warmupSteps = -1;
    float weightDecay = 0.1f;
    float beta1 = 0.9f;
    float beta2 = 0.95f;
    float epsilon = 1e-8f;
    float gradientClip = 1.0f;
    long seed = 1234;
    int evalEvery = 100;
    int evalWindows = 32;
    int checkpointEvery = 200;
    int logEvery = 10;
    boolean progressBar = true;
    NonFinitePolicy nonFinite = NonFinitePolicy.STOP;
    boolean validationAttentionStats;

    public TrainOptions() {}

    /** The options as JSON (stored in checkpoints so that a resumed run uses the same ones). */
    public String toJson() {
        return new com.google.gson.Gson().toJson(this);
    }

    /** Options from {@link #toJson()}. */
    public static TrainOptions fromJson(String json) {
        TrainOptions o = new com.google.gson.Gson().fromJson(json, TrainOptions.class);
        if (o == null) {
            throw new IllegalArgumentException("no training options in the checkpoint");
        }
        return o;
    }

    public TrainOptions copy() {
        TrainOptions o = new TrainOptions();
        o.steps = steps;
        o.batchSize = batchSize;
        o.gradientAccumulation = gradientAccumulation;
        o.sequenceLength = sequenceLength;
        o.learningRate = learningRate;
        o.minLearningRate = minLearningRate;
        o.warmupSteps = warmupSteps;
        o.weightDecay = weightDecay;
        o.beta1 = beta1;
        o.beta2 = beta2;
        o.epsilon = epsilon;
        o.gradientClip = gradientClip;
        o.seed = seed;
        o.evalEvery = evalEvery;
        o.evalWindows = evalWindows;
        o.checkpointEvery = checkpointEvery;
        o.logEvery = logEvery;
        o.progressBar = progressBar;
        o.nonFinite = nonFinite;
        o.validationAttentionStats = validationAttentionStats;
        return o;
    }

    /** Number of optimizer steps (each of {@code batchSize * gradientAccumulation} windows). */
    public TrainOptions steps(int v) {
        steps = v;
        return this;
    }

    /** Windows per forward pass (default 4). */
    public TrainOptions batchSize(int v) {
        batchSize = v;
        return this;
    }

    public TrainOptions gradientAccumulation(int v) {
        gradientAccumulation = v;
        return this;
    }

    /** Window length in tokens (default: the model's context length). */
    public TrainOptions sequenceLength(int v) {
        sequenceLength = v;
        return this;
    }

    /** Peak learning rate. */
    public TrainOptions learningRate(float v) {
        learningRate = v;
        return this;
    }

    /** Final learning rate of the cosine decay (default: a tenth of the peak). */
    public TrainOptions minLearningRate(float v) {
        minLearningRate = v;
        return this;
    }

    /** Linear warmup steps (default: a tenth of the steps, at most 200). */
    public TrainOptions warmupSteps(int v) {
        warmupSteps = v;
        return this;
    }

    public TrainOptions weightDecay(float v) {
        weightDecay = v;
        return this;
    }

    public TrainOptions betas(float b1, float b2) {
        beta1 = b1;
        beta2 = b2;
        return this;
    }

    /** Largest global gradient norm; 0 turns clipping off. */
    public TrainOptions gradientClip(float v) {
        gradientClip = v;
        return this;
    }

    /** Seeds the data order (and, through the model, the initial weights). */
    public TrainOptions seed(long v) {
        seed = v;
        return this;
    }

    /** Validation loss every this many steps (0: only at the end). */
    public TrainOptions evalEvery(int v) {
        evalEvery = v;
        return this;
    }

    /** Number of validation windows. */
    public TrainOptions evalWindows(int v) {
        evalWindows = v;
        return this;
    }

    /** Checkpoint every this many steps (0: only at the end). */
    public TrainOptions checkpointEvery(int v) {
        checkpointEvery = v;
        return this;
    }

    /** Training loss lines in the metrics log every this many steps. */
    public TrainOptions logEvery(int v) {
        logEvery = v;
        return this;
    }

    public TrainOptions progressBar(boolean v) {
        progressBar = v;
        return this;
    }

    /** Also log sparsity, sinkMass and survivingMass at every validation (to follow them over training). */
    public TrainOptions validationAttentionStats(boolean v) {
        validationAttentionStats = v;
        return this;
    }

    public TrainOptions nonFinite(NonFinitePolicy v) {
        nonFinite = v;
        return this;
    }

    public int steps() {
        return steps;
    }

    public int batchSize() {
        return batchSize;
    }

    public int gradientAccumulation() {
        return gradientAccumulation;
    }

    public long seed() {
        return seed;
    }

    public int evalEvery() {
        return evalEvery;
    }

    public int checkpointEvery() {
        return checkpointEvery;
    }

    public float learningRate() {
        return learningRate;
    }

    int resolvedWarmup() {
        return warmupSteps >= 0 ? warmupSteps : Math.min(200, steps / 10);
    }

    float resolvedMinLearningRate() {
        return minLearningRate >= 0 ? minLearningRate : learningRate / 10;
    }

    /** @throws IllegalArgumentException naming the first bad option */
    void validate(int contextLength) {
        positive("steps", steps);
        positive("batchSize", batchSize);
        positive("gradientAccumulation", gradientAccumulation);
        if (sequenceLength > contextLength) {
            throw new IllegalArgumentException("sequenceLength " + sequenceLength
                    + " is longer than the model's context length " + contextLength);
        }
        if (sequenceLength != -1 && sequenceLength < 2) {
            throw new IllegalArgumentException("sequenceLength must be >= 2, got " + sequenceLength);
        }
        if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be > 0, got " + learningRate);
        }
        if (!(gradientClip >= 0) || !(weightDecay >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "need gradientClip >= 0, weightDecay >= 0, 0 <= betas < 1; got %s, %s, %s, %s",
                    gradientClip, weightDecay, beta1, beta2));
        }
        if (evalEvery < 0 || checkpointEvery < 0 || logEvery < 1 || evalWindows < 1 || warmupSteps < -1) {
            throw new IllegalArgumentException("evalEvery and checkpointEvery must be >= 0, logEvery and "
                    + "evalWindows >= 1, warmupSteps >= 0");
        }
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + v);
        }
    }

    int resolvedSequenceLength(int contextLength) {
        return sequenceLength == -1 ? contextLength : sequenceLength;
    }
}

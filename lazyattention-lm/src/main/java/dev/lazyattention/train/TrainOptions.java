package dev.lazyattention.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.util.Objects;

/**
 * Options of one training run, as {@link LmTrainer} uses them. Immutable; built DJL style with {@link
 * #builder()}. The defaults are those of {@link TrainingSettings} (common practice for small decoders: AdamW
 * (0.9, 0.95), weight decay 0.1 on matrices, linear warmup then cosine decay to a tenth of the peak rate,
 * global gradient-norm clipping at 1.0); most callers get their options from {@link
 * TrainingSettings#trainOptions()}.
 *
 * <p>A checkpoint stores the options as JSON ({@link #toJson()}): one field per option, under the names
 * {@link #fromJson} reads, so that a checkpoint resumes with the options it was written with.
 */
public final class TrainOptions {

    /** What to do when a batch gives a NaN or infinite loss or gradient. */
    public enum NonFinitePolicy {
        /** Stop with a clear error; the last checkpoint on disk stays as it was. */
        STOP,
        /** Drop that batch's gradients and go on. */
        SKIP
    }

    final int steps;
    final int batchSize;
    final int gradientAccumulation;
    /** -1: the model's context length. */
    final int sequenceLength;
    final float learningRate;
    /** -1: a tenth of the peak. */
    final float minLearningRate;
    /** -1: a tenth of the steps, at most 200. */
    final int warmupSteps;
    final float weightDecay;
    final float beta1;
    final float beta2;
    final float epsilon;
    final float gradientClip;
    final long seed;
    final int evalEvery;
    final int evalWindows;
    final int checkpointEvery;
    final int logEvery;
    final boolean progressBar;
    final NonFinitePolicy nonFinite;
    final boolean validationAttentionStats;

    private TrainOptions(Builder b) {
        steps = b.steps;
        batchSize = b.batchSize;
        gradientAccumulation = b.gradientAccumulation;
        sequenceLength = b.sequenceLength;
        learningRate = b.learningRate;
        minLearningRate = b.minLearningRate;
        warmupSteps = b.warmupSteps;
        weightDecay = b.weightDecay;
        beta1 = b.beta1;
        beta2 = b.beta2;
        epsilon = b.epsilon;
        gradientClip = b.gradientClip;
        seed = b.seed;
        evalEvery = b.evalEvery;
        evalWindows = b.evalWindows;
        checkpointEvery = b.checkpointEvery;
        logEvery = b.logEvery;
        progressBar = b.progressBar;
        nonFinite = b.nonFinite;
        validationAttentionStats = b.validationAttentionStats;
    }

    /** A builder with every option at its default ({@link TrainingSettings}). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.steps = steps;
        b.batchSize = batchSize;
        b.gradientAccumulation = gradientAccumulation;
        b.sequenceLength = sequenceLength;
        b.learningRate = learningRate;
        b.minLearningRate = minLearningRate;
        b.warmupSteps = warmupSteps;
        b.weightDecay = weightDecay;
        b.beta1 = beta1;
        b.beta2 = beta2;
        b.epsilon = epsilon;
        b.gradientClip = gradientClip;
        b.seed = seed;
        b.evalEvery = evalEvery;
        b.evalWindows = evalWindows;
        b.checkpointEvery = checkpointEvery;
        b.logEvery = logEvery;
        b.progressBar = progressBar;
        b.nonFinite = nonFinite;
        b.validationAttentionStats = validationAttentionStats;
        return b;
    }

    /** The options as JSON (stored in checkpoints so that a resumed run uses the same ones). */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("steps", steps);
        o.addProperty("batchSize", batchSize);
        o.addProperty("gradientAccumulation", gradientAccumulation);
        o.addProperty("sequenceLength", sequenceLength);
        o.addProperty("learningRate", learningRate);
        o.addProperty("minLearningRate", minLearningRate);
        o.addProperty("warmupSteps", warmupSteps);
        o.addProperty("weightDecay", weightDecay);
        o.addProperty("beta1", beta1);
        o.addProperty("beta2", beta2);
        o.addProperty("epsilon", epsilon);
        o.addProperty("gradientClip", gradientClip);
        o.addProperty("seed", seed);
        o.addProperty("evalEvery", evalEvery);
        o.addProperty("evalWindows", evalWindows);
        o.addProperty("checkpointEvery", checkpointEvery);
        o.addProperty("logEvery", logEvery);
        o.addProperty("progressBar", progressBar);
        o.addProperty("nonFinite", nonFinite.name());
        o.addProperty("validationAttentionStats", validationAttentionStats);
        return o.toString();
    }

    /**
     * Options from {@link #toJson()}'s form: a field that is missing takes its default, an unknown one is
     * ignored.
     *
     * @throws IllegalArgumentException for no JSON object, a field of the wrong kind or a bad value
     */
    public static TrainOptions fromJson(String json) {
        JsonElement root;
        try {
            root = json == null ? null : JsonParser.parseString(json);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("training options are not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isJsonObject()) {
            throw new IllegalArgumentException("no training options in the checkpoint");
        }
        JsonObject o = root.getAsJsonObject();
        Builder b = builder();
        try {
            if (has(o, "steps")) {
                b.steps = o.get("steps").getAsInt();
            }
            if (has(o, "batchSize")) {
                b.batchSize = o.get("batchSize").getAsInt();
            }
            if (has(o, "gradientAccumulation")) {
                b.gradientAccumulation = o.get("gradientAccumulation").getAsInt();
            }
            if (has(o, "sequenceLength")) {
                b.sequenceLength = o.get("sequenceLength").getAsInt();
            }
            if (has(o, "learningRate")) {
                b.learningRate = o.get("learningRate").getAsFloat();
            }
            if (has(o, "minLearningRate")) {
                b.minLearningRate = o.get("minLearningRate").getAsFloat();
            }
            if (has(o, "warmupSteps")) {
                b.warmupSteps = o.get("warmupSteps").getAsInt();
            }
            if (has(o, "weightDecay")) {
                b.weightDecay = o.get("weightDecay").getAsFloat();
            }
            if (has(o, "beta1")) {
                b.beta1 = o.get("beta1").getAsFloat();
            }
            if (has(o, "beta2")) {
                b.beta2 = o.get("beta2").getAsFloat();
            }
            if (has(o, "epsilon")) {
                b.epsilon = o.get("epsilon").getAsFloat();
            }
            if (has(o, "gradientClip")) {
                b.gradientClip = o.get("gradientClip").getAsFloat();
            }
            if (has(o, "seed")) {
                b.seed = o.get("seed").getAsLong();
            }
            if (has(o, "evalEvery")) {
                b.evalEvery = o.get("evalEvery").getAsInt();
            }
            if (has(o, "evalWindows")) {
                b.evalWindows = o.get("evalWindows").getAsInt();
            }
            if (has(o, "checkpointEvery")) {
                b.checkpointEvery = o.get("checkpointEvery").getAsInt();
            }
            if (has(o, "logEvery")) {
                b.logEvery = o.get("logEvery").getAsInt();
            }
            if (has(o, "progressBar")) {
                b.progressBar = o.get("progressBar").getAsBoolean();
            }
            if (has(o, "nonFinite")) {
                b.nonFinite = NonFinitePolicy.valueOf(o.get("nonFinite").getAsString());
            }
            if (has(o, "validationAttentionStats")) {
                b.validationAttentionStats = o.get("validationAttentionStats").getAsBoolean();
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("unreadable training options " + json + ": " + e, e);
        }
        return b.build();
    }

    private static boolean has(JsonObject o, String field) {
        return o.has(field) && !o.get(field).isJsonNull();
    }

    /** Number of optimizer steps (each of {@code batchSize * gradientAccumulation} windows). */
    public int steps() {
        return steps;
    }

    /** Windows per forward pass. */
    public int batchSize() {
        return batchSize;
    }

    /** Forward passes per optimizer step. */
    public int gradientAccumulation() {
        return gradientAccumulation;
    }

    /** Window length in tokens; -1: the model's context length. */
    public int sequenceLength() {
        return sequenceLength;
    }

    /** Peak learning rate. */
    public float learningRate() {
        return learningRate;
    }

    /** Final learning rate of the cosine decay; -1: a tenth of the peak. */
    public float minLearningRate() {
        return minLearningRate;
    }

    /** Linear warmup steps; -1: a tenth of the steps, at most 200. */
    public int warmupSteps() {
        return warmupSteps;
    }

    public float weightDecay() {
        return weightDecay;
    }

    public float beta1() {
        return beta1;
    }

    public float beta2() {
        return beta2;
    }

    public float epsilon() {
        return epsilon;
    }

    /** Largest global gradient norm; 0: no clipping. */
    public float gradientClip() {
        return gradientClip;
    }

    /** Seeds the data order (the model's seed comes with the model). */
    public long seed() {
        return seed;
    }

    /** Validation loss every this many steps (0: only at the end). */
    public int evalEvery() {
        return evalEvery;
    }

    /** Number of validation windows. */
    public int evalWindows() {
        return evalWindows;
    }

    /** Checkpoint every this many steps (0: only at the end). */
    public int checkpointEvery() {
        return checkpointEvery;
    }

    /** Training loss lines in the metrics log every this many steps. */
    public int logEvery() {
        return logEvery;
    }

    public boolean progressBar() {
        return progressBar;
    }

    public NonFinitePolicy nonFinite() {
        return nonFinite;
    }

    /** Whether sparsity, sinkMass and survivingMass are logged at every validation. */
    public boolean validationAttentionStats() {
        return validationAttentionStats;
    }

    int resolvedWarmup() {
        return warmupSteps >= 0 ? warmupSteps : Math.min(200, steps / 10);
    }

    float resolvedMinLearningRate() {
        return minLearningRate >= 0 ? minLearningRate : learningRate / 10;
    }

    int resolvedSequenceLength(int contextLength) {
        return sequenceLength == -1 ? contextLength : sequenceLength;
    }

    /** @throws IllegalArgumentException if the window is longer than the model's context */
    void validate(int contextLength) {
        if (sequenceLength > contextLength) {
            throw new IllegalArgumentException("sequenceLength " + sequenceLength
                    + " is longer than the model's context length " + contextLength);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainOptions && toJson().equals(((TrainOptions) o).toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return "TrainOptions" + toJson();
    }

    /** Builder of {@link TrainOptions}; {@link #build()} checks every value with the rules of {@link TrainingSettings}. */
    public static final class Builder {

        private int steps = TrainingSettings.STEPS.defaultValue();
        // 16 windows per optimizer step as 4 forward passes of 4: on CPU the smaller activations stay below
        // glibc's mmap threshold and are reused instead of being mapped afresh (docs/performance.md, change 1).
        private int batchSize = TrainingSettings.BATCH_SIZE.defaultValue();
        private int gradientAccumulation = TrainingSettings.GRAD_ACCUM.defaultValue();
        private int sequenceLength = -1;
        private float learningRate = TrainingSettings.LEARNING_RATE.defaultValue();
        private float minLearningRate = -1f;
        private int warmupSteps = -1;
        private float weightDecay = TrainingSettings.WEIGHT_DECAY.defaultValue();
        private float beta1 = TrainingSettings.BETA1.defaultValue();
        private float beta2 = TrainingSettings.BETA2.defaultValue();
        private float epsilon = TrainingSettings.EPSILON.defaultValue();
        private float gradientClip = TrainingSettings.GRADIENT_CLIP.defaultValue();
        private long seed = TrainingSettings.SEED.defaultValue();
        private int evalEvery = TrainingSettings.EVAL_EVERY.defaultValue();
        private int evalWindows = TrainingSettings.EVAL_WINDOWS.defaultValue();
        private int checkpointEvery = TrainingSettings.CHECKPOINT_EVERY.defaultValue();
        private int logEvery = TrainingSettings.LOG_EVERY.defaultValue();
        private boolean progressBar = TrainingSettings.progressByDefault();
        private NonFinitePolicy nonFinite = TrainingSettings.ON_NAN.defaultValue();
        private boolean validationAttentionStats = TrainingSettings.VALIDATION_ATTENTION_STATS.defaultValue();

        private Builder() {}

        /** Number of optimizer steps (each of {@code batchSize * gradientAccumulation} windows). */
        public Builder optSteps(int v) {
            steps = v;
            return this;
        }

        /** Windows per forward pass. */
        public Builder optBatchSize(int v) {
            batchSize = v;
            return this;
        }

        /** Forward passes per optimizer step. */
        public Builder optGradientAccumulation(int v) {
            gradientAccumulation = v;
            return this;
        }

        /** Window length in tokens (default: the model's context length). */
        public Builder optSequenceLength(int v) {
            sequenceLength = v;
            return this;
        }

        /** Peak learning rate. */
        public Builder optLearningRate(float v) {
            learningRate = v;
            return this;
        }

        /** Final learning rate of the cosine decay (default: a tenth of the peak). */
        public Builder optMinLearningRate(float v) {
            minLearningRate = v;
            return this;
        }

        /** Linear warmup steps (default: a tenth of the steps, at most 200). */
        public Builder optWarmupSteps(int v) {
            warmupSteps = v;
            return this;
        }

        public Builder optWeightDecay(float v) {
            weightDecay = v;
            return this;
        }

        public Builder optBetas(float b1, float b2) {
            beta1 = b1;
            beta2 = b2;
            return this;
        }

        public Builder optEpsilon(float v) {
            epsilon = v;
            return this;
        }

        /** Largest global gradient norm; 0 turns clipping off. */
        public Builder optGradientClip(float v) {
            gradientClip = v;
            return this;
        }

        /** Seeds the data order. */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /** Validation loss every this many steps (0: only at the end). */
        public Builder optEvalEvery(int v) {
            evalEvery = v;
            return this;
        }

        /** Number of validation windows. */
        public Builder optEvalWindows(int v) {
            evalWindows = v;
            return this;
        }

        /** Checkpoint every this many steps (0: only at the end). */
        public Builder optCheckpointEvery(int v) {
            checkpointEvery = v;
            return this;
        }

        /** Training loss lines in the metrics log every this many steps. */
        public Builder optLogEvery(int v) {
            logEvery = v;
            return this;
        }

        public Builder optProgressBar(boolean v) {
            progressBar = v;
            return this;
        }

        public Builder optNonFinite(NonFinitePolicy v) {
            nonFinite = v;
            return this;
        }

        /** Also log sparsity, sinkMass and survivingMass at every validation (to follow them over training). */
        public Builder optValidationAttentionStats(boolean v) {
            validationAttentionStats = v;
            return this;
        }

        /**
         * Builds the options.
         *
         * @throws IllegalArgumentException naming the first bad option
         */
        public TrainOptions build() {
            TrainingSettings.STEPS.check(steps, "steps");
            TrainingSettings.BATCH_SIZE.check(batchSize, "batchSize");
            TrainingSettings.GRAD_ACCUM.check(gradientAccumulation, "gradientAccumulation");
            if (sequenceLength != -1) {
                TrainingSettings.SEQUENCE_LENGTH.check(sequenceLength, "sequenceLength");
            }
            TrainingSettings.LEARNING_RATE.check(learningRate, "learningRate");
            if (minLearningRate != -1f) {
                TrainingSettings.MIN_LEARNING_RATE.check(minLearningRate, "minLearningRate");
            }
            if (warmupSteps != -1) {
                TrainingSettings.WARMUP_STEPS.check(warmupSteps, "warmupSteps");
            }
            TrainingSettings.WEIGHT_DECAY.check(weightDecay, "weightDecay");
            TrainingSettings.BETA1.check(beta1, "beta1");
            TrainingSettings.BETA2.check(beta2, "beta2");
            TrainingSettings.EPSILON.check(epsilon, "epsilon");
            TrainingSettings.GRADIENT_CLIP.check(gradientClip, "gradientClip");
            TrainingSettings.EVAL_EVERY.check(evalEvery, "evalEvery");
            TrainingSettings.EVAL_WINDOWS.check(evalWindows, "evalWindows");
            TrainingSettings.CHECKPOINT_EVERY.check(checkpointEvery, "checkpointEvery");
            TrainingSettings.LOG_EVERY.check(logEvery, "logEvery");
            Objects.requireNonNull(nonFinite, "nonFinite");
            return new TrainOptions(this);
        }
    }
}

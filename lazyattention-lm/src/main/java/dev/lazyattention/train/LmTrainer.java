package dev.lazyattention.train;

import dev.lazyattention.data.TokenWindows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import ai.djl.training.util.ProgressBar;
import ai.djl.util.Pair;
import dev.lazyattention.eval.AttentionStats;
import dev.lazyattention.eval.CorpusEvaluator;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScore;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.modelfile.ModelEntries;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelFileFormat;
import dev.lazyattention.lm.LazyLanguageModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import dev.lazyattention.util.Tensors;

/**
 * Trains a {@link LazyLanguageModel} with DJL's {@link Trainer}: random windows from {@link TokenWindows},
 * next-token cross-entropy, {@link ResumableAdamW} with warmup and cosine decay, global-norm gradient
 * clipping, gradient accumulation, periodic validation, a JSON-lines metrics log and atomic checkpoints
 * from which {@link #resume} continues exactly.
 *
 * <p>Files in the output folder: {@value #MODEL_FILE} (the finished model), {@value #CHECKPOINT_FILE}
 * (model + training state) and {@value #METRICS_FILE}.
 */
public final class LmTrainer {

    public static final String MODEL_FILE = "model.lazylm.zip";
    public static final String CHECKPOINT_FILE = "checkpoint.lazylm.zip";
    public static final String METRICS_FILE = "metrics.jsonl";

    /** Temporary files of interrupted writes of this trainer's own files (see {@link #prepareOutput}). */
    private static final Pattern STALE_TEMPORARY = Pattern.compile("\\.probe[0-9]+\\.tmp|\\.(?:"
            + Pattern.quote(MODEL_FILE) + "|" + Pattern.quote(CHECKPOINT_FILE) + ")\\.[0-9]+\\.tmp");

    private final TrainConfig options;
    private final Path outDir;
    private TrainingMonitor monitor = TrainingMonitor.NONE;

    public LmTrainer(TrainConfig options, Path outDir) {
        this.options = options;
        this.outDir = outDir;
    }

    /** @throws IllegalArgumentException if the window is longer than the model's context */
    private void validate(int modelContextLength) {
        if (options.sequenceLength() != null && options.sequenceLength() > modelContextLength) {
            throw new IllegalArgumentException("sequenceLength " + options.sequenceLength()
                    + " is longer than the model's context length " + modelContextLength);
        }
    }

    public LmTrainer monitor(TrainingMonitor monitor) {
        this.monitor = monitor;
        return this;
    }

    /** The checkpoint file of this trainer's output folder. */
    public Path checkpointFile() {
        return outDir.resolve(CHECKPOINT_FILE);
    }

    /**
     * Trains a fresh model. Refuses an output folder that already holds a checkpoint or a model, so that
     * earlier work is never overwritten by accident.
     */
    public TrainResult train(LazyLanguageModel lm, int[] trainTokens, int[] validTokens) throws IOException {
        validate(lm.config().contextLength());
        refuseFinishedOrStartedRun(outDir);
        prepareOutput();
        try (MetricsLog log = MetricsLog.create(outDir.resolve(METRICS_FILE))) {
            return run(lm, trainTokens, validTokens, null, log);
        }
    }

    /**
     * Refuses an output folder that already holds a checkpoint or a model, so that earlier work is never
     * overwritten by accident.
     *
     * @throws IllegalArgumentException naming the folder and the file
     */
    public static void refuseFinishedOrStartedRun(Path outDir) {
        for (String name : new String[] {CHECKPOINT_FILE, MODEL_FILE}) {
            if (Files.exists(outDir.resolve(name))) {
                throw new IllegalArgumentException("output folder " + outDir + " already holds " + name
                        + "; resume it or choose another output folder");
            }
        }
    }

    /**
     * Continues from this folder's checkpoint, with this trainer's options (the step count may grow).
     *
     * <p>A checkpoint already at the step count asked for holds the finished weights: a run killed after its
     * last checkpoint but before its model file was written. Then nothing is trained: the model file is
     * written from the checkpoint (the very file the run would have written), unless the folder already
     * holds it, and the result says which ({@link TrainResult.Outcome}).
     *
     * @throws IllegalArgumentException if the seed differs from the checkpoint's, or the checkpoint is past
     *     the step count asked for (its weights cannot be taken back to an earlier step)
     */
    public TrainResult resume(Checkpoint checkpoint, int[] trainTokens, int[] validTokens) throws IOException {
        validate(checkpoint.model().config().contextLength());
        if (checkpoint.seed() != options.seed()) {
            throw new IllegalArgumentException("the checkpoint was trained with seed " + checkpoint.seed()
                    + " but the options say " + options.seed() + "; the data order would change");
        }
        if (checkpoint.step() > options.steps()) {
            throw new IllegalArgumentException("the checkpoint is at step " + checkpoint.step() + ", past the "
                    + options.steps() + " steps asked for; its weights cannot be taken back to step " + options.steps()
                    + " (ask for " + checkpoint.step() + " steps or more)");
        }
        prepareOutput();
        if (checkpoint.step() == options.steps()) {
            return finishFromCheckpoint(checkpoint);
        }
        try (MetricsLog log = MetricsLog.resume(outDir.resolve(METRICS_FILE), checkpoint.step())) {
            return run(checkpoint.model(), trainTokens, validTokens, checkpoint, log);
        }
    }

    /**
     * The run already reached its last step: writes {@value #MODEL_FILE} from the checkpoint's weights unless
     * the folder holds a model file with exactly those weights, config and tokenizer. The entries written are
     * those a finished run writes ({@link LazyLanguageModel#save(Path)}: no training state, no optimizer).
     */
    private TrainResult finishFromCheckpoint(Checkpoint checkpoint) throws IOException {
        long started = System.nanoTime();
        Path model = outDir.resolve(MODEL_FILE);
        ModelEntries finished = checkpoint.model().toEntries(Map.of());
        TrainResult.Outcome outcome;
        if (holdsModel(model, finished)) {
            outcome = TrainResult.Outcome.ALREADY_FINISHED;
        } else {
            ModelFile.write(model, finished);
            outcome = TrainResult.Outcome.MODEL_WRITTEN_FROM_CHECKPOINT;
        }
        Path metrics = outDir.resolve(METRICS_FILE);
        double[] losses = MetricsLog.lastLosses(metrics, checkpoint.step());
        double wall = (System.nanoTime() - started) / 1e9;
        return new TrainResult(checkpoint.step(), losses[0], losses[1], 0, wall, 0, model, checkpointFile(), metrics,
                outcome);
    }

    /** Whether {@code file} is a readable model file with the parameters, config and tokenizer of {@code want}. */
    private static boolean holdsModel(Path file, ModelEntries want) {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        ModelEntries have;
        try {
            have = ModelFile.read(file);
        } catch (IOException e) {
            return false; // unreadable or corrupt: replaced by the checkpoint's weights
        }
        for (String entry : new String[] {ModelFileFormat.PARAMETERS, ModelFileFormat.CONFIG,
                ModelFileFormat.TOKENIZER}) {
            if (!Arrays.equals(have.get(entry), want.get(entry))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Creates the output folder, checks that it is writable and removes the temporary files that an
     * interrupted atomic write of this trainer's own files left behind: {@code .<name>.<digits>.tmp} for
     * {@value #MODEL_FILE} and {@value #CHECKPOINT_FILE} (as {@link ModelFile#write(Path, ModelEntries)} names
     * them) and {@code .probe<digits>.tmp} (the write probe below). Nothing else is touched.
     */
    private void prepareOutput() throws IOException {
        try {
            Files.createDirectories(outDir);
            Path probe = Files.createTempFile(outDir, ".probe", ".tmp");
            Files.delete(probe);
            try (var entries = Files.newDirectoryStream(outDir, p -> isStaleTemporary(p.getFileName().toString()))) {
                for (Path p : entries) {
                    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new IOException("output folder " + outDir + " is not writable: " + e.getMessage(), e);
        }
    }

    /** Whether a file name is one of the temporary files {@link #prepareOutput} removes. */
    static boolean isStaleTemporary(String fileName) {
        return STALE_TEMPORARY.matcher(fileName).matches();
    }

    /** Trains from {@code checkpoint}'s step (or from the start) to the last step or until the monitor stops. */
    private TrainResult run(LazyLanguageModel lm, int[] trainTokens, int[] validTokens, Checkpoint checkpoint,
            MetricsLog log) throws IOException {
        try (Session session = new Session(lm, trainTokens, validTokens, checkpoint, log)) {
            boolean keepGoing = true;
            while (keepGoing && session.step < options.steps()) {
                keepGoing = session.trainOneStep();
            }
            return session.finish();
        }
    }

    /** The mean loss of one optimizer step's batches, and whether every batch's loss was finite. */
    private record StepLoss(double value, boolean finite) {}

    /**
     * One call of {@link #train} or {@link #resume}: the data, the optimizer and DJL's trainer, and what the
     * steps done so far have counted.
     */
    private final class Session implements AutoCloseable {

        private final LazyLanguageModel lm;
        private final MetricsLog log;
        private final int length;
        private final long windowsPerStep;
        private final double priorSeconds;
        private final List<int[]> validWindows;
        private final ResumableAdamW optimizer;
        private final ProgressBar bar;
        private final long started;
        private Trainer trainer;
        private Iterator<Batch> batches;

        private int step;
        private long tokens;
        private int skipped;
        private double lastTrainLoss = Double.NaN;
        private double lastValidLoss = Double.NaN;

        /** Setup: windows from the checkpoint's position, the optimizer with its restored moments, the trainer. */
        Session(LazyLanguageModel lm, int[] trainTokens, int[] validTokens, Checkpoint checkpoint, MetricsLog log)
                throws IOException {
            this.lm = lm;
            this.log = log;
            length = options.resolvedSequenceLength(lm.config().contextLength());
            int startStep = checkpoint == null ? 0 : checkpoint.step();
            priorSeconds = checkpoint == null ? 0 : checkpoint.elapsedSeconds();
            windowsPerStep = (long) options.batchSize() * options.gradAccum();
            int startToken = SequenceScorer.startTokenOf(lm); // from the model's config, so a resumed run keeps it
            TokenWindows windows = TokenWindows.builder()
                    .setTokens(trainTokens, length)
                    .optStartToken(startToken)
                    .optSeed(options.seed())
                    .setRange(startStep * windowsPerStep, (options.steps() - startStep) * windowsPerStep)
                    .setSampling(options.batchSize(), false)
                    .build();
            validWindows = validationWindowsOf(lm, validTokens, length, options.evalWindows());

            Map<String, String> names = new HashMap<>();
            for (Pair<String, Parameter> p : lm.block().getParameters()) {
                names.put(p.getValue().getId(), p.getKey());
            }
            optimizer = new ResumableAdamW(schedule(), options.beta1(), options.beta2(), options.epsilon(),
                    options.weightDecay(), names, LmTrainer::isDecayed);
            DefaultTrainingConfig config = new DefaultTrainingConfig(new NextTokenLoss())
                    .optOptimizer(optimizer)
                    .optDevices(new Device[] {lm.device()});

            started = System.nanoTime();
            step = startStep;
            bar = options.resolvedProgress() ? new ProgressBar("Training", options.steps()) : null;
            try {
                trainer = lm.djlModel().newTrainer(config);
                if (checkpoint != null) {
                    checkpoint.restore(optimizer, trainer.getManager());
                }
                if (bar != null) {
                    bar.start(startStep);
                }
                try {
                    batches = trainer.iterateDataset(windows).iterator();
                } catch (ai.djl.translate.TranslateException e) {
                    throw new IOException("cannot read training windows: " + e.getMessage(), e);
                }
            } catch (IOException | RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        /**
         * One optimizer step: gradients of its batches, then the update (or, for a non-finite loss or
         * gradient, a stop or a skip), the metrics, validation and checkpoint when due, and the progress bar.
         *
         * @return false when the monitor asks to stop
         */
        boolean trainOneStep() throws IOException {
            step++;
            StepLoss loss = accumulateGradients();
            double norm = gradientNorm(lm, trainer.getManager());
            if (!loss.finite() || !Double.isFinite(norm)) {
                dropNonFiniteStep(loss.value(), norm);
                return true;
            }
            update(norm);
            tokens += windowsPerStep * length;
            lastTrainLoss = loss.value();

            double seconds = (System.nanoTime() - started) / 1e9;
            double tokensPerSecond = tokens / Math.max(seconds, 1e-9);
            if (step % options.logEvery() == 0 || step == options.steps()) {
                logTraining(loss.value(), norm, tokensPerSecond, seconds);
            }
            if (!validWindows.isEmpty()
                    && ((options.evalEvery() > 0 && step % options.evalEvery() == 0) || step == options.steps())) {
                evaluate();
            }
            boolean keepGoing = monitor.onStep(step, loss.value());
            if ((options.checkpointEvery() > 0 && step % options.checkpointEvery() == 0) || step == options.steps()
                    || !keepGoing) {
                Checkpoint.write(checkpointFile(), lm, step, options, priorSeconds + seconds, optimizer);
            }
            if (bar != null) {
                bar.update(step - 1, String.format(Locale.ROOT, "loss %.3f, %,.0f tok/s, ETA %s", loss.value(),
                        tokensPerSecond, eta((options.steps() - step) * windowsPerStep * length / tokensPerSecond)));
            }
            return keepGoing;
        }

        /** Forward and backward passes over the step's batches, each loss scaled by the accumulation. */
        private StepLoss accumulateGradients() {
            double loss = 0;
            boolean finite = true;
            for (int micro = 0; micro < options.gradAccum(); micro++) {
                try (Batch batch = batches.next()) {
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        NDArray logits = trainer.forward(batch.getData()).head(); // [B, T, V]
                        NDArray batchLoss = trainer.getLoss().evaluate(batch.getLabels(), new NDList(logits));
                        NDArray share = Tensors.scalar(batchLoss.getManager(), 1f / options.gradAccum());
                        collector.backward(batchLoss.mul(share));
                        float value = batchLoss.getFloat();
                        finite &= Float.isFinite(value);
                        loss += value / options.gradAccum();
                    }
                }
            }
            return new StepLoss(loss, finite);
        }

        /** The STOP policy throws, naming the step and the last good checkpoint; SKIP drops the gradients. */
        private void dropNonFiniteStep(double loss, double norm) throws IOException {
            if (options.onNan() == TrainConfig.NonFinitePolicy.STOP) {
                throw new TrainingDivergedException(String.format(Locale.ROOT,
                        "training diverged at step %d: loss %s, gradient norm %s%s; nothing was saved from "
                                + "this step, the last good checkpoint is %s", step, loss, norm,
                        nonFiniteGradients(lm, trainer.getManager()),
                        Files.exists(checkpointFile()) ? checkpointFile() : "(none yet)"));
            }
            zeroGradients(lm, trainer.getManager());
            skipped++;
            log.write(event("skip", step, Map.of("loss", String.valueOf(loss), "gradNorm", String.valueOf(norm))));
        }

        /** The optimizer step at this step's learning rate, gradients clipped to the global norm. */
        private void update(double norm) {
            optimizer.setStep(step);
            optimizer.setGradientScale(options.gradientClip() > 0 && norm > options.gradientClip()
                    ? (float) (options.gradientClip() / norm) : 1f);
            trainer.step();
        }

        private void logTraining(double loss, double norm, double tokensPerSecond, double seconds) throws IOException {
            Map<String, Object> values = new LinkedHashMap<>();
            values.put("loss", loss);
            values.put("learningRate", optimizer.learningRate(step));
            values.put("gradNorm", norm);
            values.put("tokensPerSecond", tokensPerSecond);
            values.put("elapsedSeconds", priorSeconds + seconds);
            log.write(event("train", step, values));
        }

        /** Validation loss (and attention diagnostics if asked for), logged and told to the monitor. */
        private void evaluate() throws IOException {
            lastValidLoss = validationLoss(lm, validWindows, options.batchSize());
            Map<String, Object> values = new LinkedHashMap<>();
            values.put("loss", lastValidLoss);
            values.put("perplexity", Math.exp(lastValidLoss));
            if (options.validationAttentionStats()) {
                AttentionStats stats = validationAttention(lm, validWindows);
                values.put("sparsity", stats.sparsity());
                values.put("sparsityPerLayer", stats.sparsityPerLayer());
                values.put("sinkMass", stats.sinkMass());
                values.put("sinkRate", stats.sinkRate());
                values.put("sinkMassPerHead", stats.sinkMassPerHead());
                values.put("survivingMass", stats.survivingMass());
            }
            log.write(event("valid", step, values));
            monitor.onValidation(step, lastValidLoss);
        }

        /** Writes the model file when the last step was reached, and sums up. */
        TrainResult finish() throws IOException {
            Path model = outDir.resolve(MODEL_FILE);
            if (step == options.steps()) {
                lm.save(model);
            }
            double wall = (System.nanoTime() - started) / 1e9;
            return new TrainResult(step, lastTrainLoss, lastValidLoss, tokens / Math.max(wall, 1e-9), wall, skipped,
                    model, checkpointFile(), log.file());
        }

        /** Closes DJL's trainer, then the optimizer. */
        @Override
        public void close() {
            try {
                if (trainer != null) {
                    trainer.close();
                }
            } finally {
                optimizer.close();
            }
        }
    }

    /** Matrices of the projections get weight decay; embeddings, norms, tau, the distance bias and the sinks do not. */
    static boolean isDecayed(String parameterName) {
        return parameterName.endsWith("_weight");
    }

    private Tracker schedule() {
        int warmup = options.resolvedWarmupSteps();
        Tracker cosine = CosineTracker.builder()
                .setBaseValue(options.learningRate())
                .optFinalValue(options.resolvedMinLearningRate())
                .setMaxUpdates(Math.max(1, options.steps() - warmup))
                .build();
        if (warmup == 0) {
            return cosine;
        }
        return WarmUpTracker.builder()
                .setMainTracker(cosine)
                .optWarmUpSteps(warmup)
                .optWarmUpBeginValue(options.learningRate() / (warmup + 1))
                .build();
    }

    /** Euclidean norm of all gradients together. */
    private static double gradientNorm(LazyLanguageModel lm, NDManager parent) {
        try (NDManager manager = parent.newSubManager()) {
            NDList squares = new NDList();
            for (Pair<String, Parameter> p : lm.block().getParameters()) {
                NDArray grad = p.getValue().getArray().getGradient();
                grad.attach(manager);
                squares.add(grad.square().sum());
            }
            return Math.sqrt(NDArrays.stack(squares).sum().getFloat());
        }
    }

    /** Names the parameters whose gradient holds NaN or infinity, for the divergence message. */
    private static String nonFiniteGradients(LazyLanguageModel lm, NDManager parent) {
        List<String> names = new ArrayList<>();
        try (NDManager manager = parent.newSubManager()) {
            for (Pair<String, Parameter> p : lm.block().getParameters()) {
                NDArray grad = p.getValue().getArray().getGradient();
                grad.attach(manager);
                if (grad.isNaN().logicalOr(grad.isInfinite()).any().getBoolean()) {
                    names.add(p.getKey());
                }
            }
        }
        return names.isEmpty() ? "" : " (non-finite gradient in " + String.join(", ", names) + ")";
    }

    private static void zeroGradients(LazyLanguageModel lm, NDManager parent) {
        try (NDManager manager = parent.newSubManager()) {
            for (Pair<String, Parameter> p : lm.block().getParameters()) {
                NDArray grad = p.getValue().getArray().getGradient();
                grad.attach(manager);
                grad.set(new NDIndex("..."), 0); // a fill, not a product: NaN * 0 would stay NaN
            }
        }
    }

    /**
     * Non-overlapping windows of length T + 1 from the start of the validation tokens, each scored from its
     * second token. With a start token ({@code startToken >= 0}) each is that token and then T tokens of
     * text, as the training windows are: T inputs beginning with the start token, T scored tokens.
     */
    /**
     * The validation windows the trainer scores for {@code lm}: {@link #validationWindows(int[], int, int,
     * int)} with the model's start token, if it was trained with one.
     */
    public static List<int[]> validationWindowsOf(LazyLanguageModel lm, int[] tokens, int length, int maxWindows) {
        return validationWindows(tokens, length, maxWindows, SequenceScorer.startTokenOf(lm));
    }

    static List<int[]> validationWindows(int[] tokens, int length, int maxWindows) {
        return validationWindows(tokens, length, maxWindows, -1);
    }

    /** {@link #validationWindows(int[], int, int)}, with {@code startToken} (-1: none) first in each window. */
    static List<int[]> validationWindows(int[] tokens, int length, int maxWindows, int startToken) {
        List<int[]> windows = new ArrayList<>();
        if (tokens == null) {
            return windows;
        }
        int fromText = startToken < 0 ? length + 1 : length; // tokens of text in one window
        int first = startToken < 0 ? 0 : 1;
        for (int start = 0; start + fromText <= tokens.length && windows.size() < maxWindows; start += length) {
            int[] w = new int[length + 1];
            if (startToken >= 0) {
                w[0] = startToken;
            }
            System.arraycopy(tokens, start, w, first, fromText);
            windows.add(w);
        }
        return windows;
    }

    /** Attention diagnostics over the validation windows. */
    private static AttentionStats validationAttention(LazyLanguageModel lm, List<int[]> windows) {
        List<ScoringRequest> requests = new ArrayList<>();
        for (int[] w : windows) {
            requests.add(new ScoringRequest(java.util.Arrays.copyOf(w, w.length - 1), 1)); // the window's inputs
        }
        AttentionStats total = new AttentionStats(lm.config().numLayers(), lm.config().numHeads());
        ScoringOptions options = ScoringOptions.defaults(lm.config().contextLength())
                .withAttentionStats(true).withBatchSize(4);
        for (SequenceScore score : new SequenceScorer(lm, options).score(requests)) {
            total.merge(score.attention());
        }
        return total;
    }

    /** Mean next-token loss over the windows, scored by the evaluator's {@link SequenceScorer}. */
    public static double validationLoss(LazyLanguageModel lm, List<int[]> windows, int batchSize) {
        ScoringOptions options = ScoringOptions.defaults(lm.config().contextLength()).withBatchSize(batchSize);
        return new CorpusEvaluator(lm, options).meanLoss(windows);
    }

    private static Map<String, Object> event(String kind, int step, Map<String, ?> values) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", kind);
        m.put("step", step);
        m.putAll(values);
        return m;
    }

    private static String eta(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }

}

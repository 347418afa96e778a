package dev.lazyattention.train;

import static dev.lazyattention.train.TrainConfig.CHECKPOINT_EVERY;
import static dev.lazyattention.train.TrainConfig.GRAD_ACCUM;
import static dev.lazyattention.train.TrainConfig.ON_NAN;
import static dev.lazyattention.train.TrainConfig.SEQUENCE_LENGTH;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.modelfile.ModelEntries;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelFileException;
import dev.lazyattention.modelfile.ModelFileFormat;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.TinyModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training: the loss falls, runs are reproducible, resume continues exactly, divergence loses nothing. */
class TrainingTest {

    @TempDir
    Path dir;

    private static int[] train(LazyLanguageModel lm) {
        return TinyModels.trainCorpus().tokens(lm.tokenizer());
    }

    private static int[] valid(LazyLanguageModel lm) {
        return TinyModels.validCorpus().tokens(lm.tokenizer());
    }

    @Test
    void validationLossFallsWellBelowItsStart() throws IOException {
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 1)) {
            double before = LmTrainer.validationLoss(lm, LmTrainer.validationWindows(valid(lm), 32, 8), 8);
            TrainResult result = new LmTrainer(TinyModels.quickOptions(60).build(), dir.resolve("run"))
                    .train(lm, train(lm), valid(lm));
            assertEquals(60, result.steps());
            assertTrue(result.validLoss() < 0.6 * before,
                    "validation loss " + before + " -> " + result.validLoss());
            assertTrue(Files.exists(result.model()) && Files.exists(result.checkpoint()));
        }
    }

    @Test
    void sameSeedGivesTheSameLossCurve() throws IOException {
        assertArrayEquals(lossCurve("a", 8), lossCurve("b", 8), 0.0);
    }

    @Test
    void resumedRunMatchesAnUninterruptedOne() throws IOException {
        double[] uninterrupted = lossCurve("whole", 12);

        Path out = dir.resolve("interrupted");
        TrainConfig options = TinyModels.quickOptions(12).set(GRAD_ACCUM, 2).set(CHECKPOINT_EVERY, 3).build();
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            TrainResult first = new LmTrainer(options, out)
                    .monitor(new TrainingMonitor() {
                        @Override
                        public boolean onStep(int step, double loss) {
                            return step < 7; // stop after step 7, between two checkpoints
                        }
                    })
                    .train(lm, train(lm), valid(lm));
            assertEquals(7, first.steps());
            assertFalse(Files.exists(first.model()), "an interrupted run writes no final model");
        }
        try (Checkpoint checkpoint = Checkpoint.load(out.resolve(LmTrainer.CHECKPOINT_FILE), Device.cpu())) {
            assertEquals(7, checkpoint.step());
            LazyLanguageModel lm = checkpoint.model();
            new LmTrainer(options, out).resume(checkpoint, train(lm), valid(lm));
        }
        assertArrayEquals(uninterrupted, trainLosses(out.resolve(LmTrainer.METRICS_FILE)), 1e-6);
    }

    /**
     * A SIGKILL between the last checkpoint and the model file leaves the finished weights only in the
     * checkpoint: resuming writes the model file from them, the very file the run would have written, and
     * removes the temporary files interrupted writes left, and nothing else.
     */
    @Test
    void resumeAfterAKillBetweenTheLastCheckpointAndTheModelWritesTheModelFromTheCheckpoint() throws IOException {
        Path out = dir.resolve("window");
        Files.createDirectories(out);
        Path strayModel = out.resolve("." + LmTrainer.MODEL_FILE + ".123.tmp");
        Path strayCheckpoint = out.resolve("." + LmTrainer.CHECKPOINT_FILE + ".456.tmp");
        List<Path> unrelated = List.of(out.resolve("notes.txt"), out.resolve(".other.lazylm.zip.123.tmp"),
                out.resolve("model.lazylm.zip.123.tmp"), out.resolve("." + LmTrainer.MODEL_FILE + ".bak.tmp"));
        Files.writeString(strayModel, "half a model");
        for (Path p : unrelated) {
            Files.writeString(p, "keep me");
        }
        TrainConfig options = TinyModels.quickOptions(4).build();
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            new LmTrainer(options, out).train(lm, train(lm), valid(lm));
        }
        assertFalse(Files.exists(strayModel), "a fresh run removes stray temporary files too");
        Path modelFile = out.resolve(LmTrainer.MODEL_FILE);
        Path checkpointFile = out.resolve(LmTrainer.CHECKPOINT_FILE);
        byte[] writtenByTheRun = ModelFile.read(modelFile).get(ModelFileFormat.PARAMETERS);
        String metricsBefore = Files.readString(out.resolve(LmTrainer.METRICS_FILE));

        // The crash window: the final checkpoint is on disk, the model file is not; writes were cut short.
        Files.delete(modelFile);
        Files.writeString(strayModel, "half a model");
        Files.writeString(strayCheckpoint, "half a checkpoint");

        TrainResult result;
        try (Checkpoint checkpoint = Checkpoint.load(checkpointFile, Device.cpu())) {
            assertEquals(4, checkpoint.step());
            LazyLanguageModel lm = checkpoint.model();
            result = new LmTrainer(options, out).resume(checkpoint, train(lm), valid(lm));
        }
        assertEquals(TrainResult.Outcome.MODEL_WRITTEN_FROM_CHECKPOINT, result.outcome());
        assertEquals(4, result.steps());
        assertEquals(modelFile, result.model());
        assertTrue(Files.exists(modelFile), "the model file is written from the checkpoint");
        assertTrue(Double.isFinite(result.trainLoss()) && Double.isFinite(result.validLoss()),
                "the losses of the finished run come from its metrics log: " + result);

        ModelEntries written = ModelFile.read(modelFile);
        assertArrayEquals(writtenByTheRun, written.get(ModelFileFormat.PARAMETERS),
                "the same parameter bytes as the model file the run wrote");
        assertArrayEquals(ModelFile.read(checkpointFile).get(ModelFileFormat.PARAMETERS),
                written.get(ModelFileFormat.PARAMETERS), "the same parameter bytes as the checkpoint");
        assertNull(written.get(ModelFileFormat.TRAINING_STATE), "a finished model holds no training state");
        assertNull(written.get(ModelFileFormat.OPTIMIZER_STATE), "a finished model holds no optimizer state");
        assertThrows(ModelFileException.class, () -> Checkpoint.load(modelFile, Device.cpu()));

        // Independent loads of both files score the validation text alike.
        try (LazyLanguageModel fromModel = LazyLanguageModel.load(modelFile, Device.cpu());
                Checkpoint fromCheckpoint = Checkpoint.load(checkpointFile, Device.cpu())) {
            List<int[]> windows = LmTrainer.validationWindows(valid(fromModel), 32, 8);
            assertEquals(LmTrainer.validationLoss(fromCheckpoint.model(), windows, 8),
                    LmTrainer.validationLoss(fromModel, windows, 8), 1e-6);
        }

        assertFalse(Files.exists(strayModel), "stray temporary model file removed");
        assertFalse(Files.exists(strayCheckpoint), "stray temporary checkpoint file removed");
        for (Path p : unrelated) {
            assertEquals("keep me", Files.readString(p), p + " is not the trainer's and stays");
        }
        assertEquals(metricsBefore, Files.readString(out.resolve(LmTrainer.METRICS_FILE)), "the log is untouched");
    }

    @Test
    void resumingAFinishedRunSucceedsAndLeavesTheModelUnchanged() throws IOException {
        Path out = dir.resolve("finished");
        TrainConfig options = TinyModels.quickOptions(3).build();
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            new LmTrainer(options, out).train(lm, train(lm), valid(lm));
        }
        Path modelFile = out.resolve(LmTrainer.MODEL_FILE);
        Path checkpointFile = out.resolve(LmTrainer.CHECKPOINT_FILE);
        byte[] model = Files.readAllBytes(modelFile);
        byte[] checkpointBytes = Files.readAllBytes(checkpointFile);
        var modified = Files.getLastModifiedTime(modelFile);

        TrainResult result;
        try (Checkpoint checkpoint = Checkpoint.load(checkpointFile, Device.cpu())) {
            LazyLanguageModel lm = checkpoint.model();
            result = new LmTrainer(options, out).resume(checkpoint, train(lm), valid(lm));
        }
        assertEquals(TrainResult.Outcome.ALREADY_FINISHED, result.outcome());
        assertEquals(3, result.steps());
        assertArrayEquals(model, Files.readAllBytes(modelFile), "the model file is left as it was");
        assertEquals(modified, Files.getLastModifiedTime(modelFile), "the model file is not rewritten");
        assertArrayEquals(checkpointBytes, Files.readAllBytes(checkpointFile), "the checkpoint is left as it was");
    }

    @Test
    void aModelFileOlderThanTheLastCheckpointIsReplacedByTheCheckpointsWeights() throws IOException {
        Path out = dir.resolve("extended");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            new LmTrainer(TinyModels.quickOptions(3).build(), out).train(lm, train(lm), valid(lm));
        }
        Path modelFile = out.resolve(LmTrainer.MODEL_FILE);
        Path checkpointFile = out.resolve(LmTrainer.CHECKPOINT_FILE);
        byte[] afterThree = Files.readAllBytes(modelFile);
        TrainConfig five = TinyModels.quickOptions(5).build();
        try (Checkpoint atThree = Checkpoint.load(checkpointFile, Device.cpu())) {
            LazyLanguageModel lm = atThree.model();
            assertEquals(TrainResult.Outcome.TRAINED, new LmTrainer(five, out).resume(atThree, train(lm), valid(lm))
                    .outcome());
        }
        byte[] afterFive = ModelFile.read(modelFile).get(ModelFileFormat.PARAMETERS);
        // Killed after the checkpoint of step 5, before the model file: the folder still holds step 3's model.
        Files.write(modelFile, afterThree);

        assertEquals(TrainResult.Outcome.MODEL_WRITTEN_FROM_CHECKPOINT, resumeFromFile(five, out).outcome());
        assertArrayEquals(afterFive, ModelFile.read(modelFile).get(ModelFileFormat.PARAMETERS));

        // A truncated model file is replaced as well.
        Files.write(modelFile, java.util.Arrays.copyOf(afterThree, afterThree.length / 2));
        assertEquals(TrainResult.Outcome.MODEL_WRITTEN_FROM_CHECKPOINT, resumeFromFile(five, out).outcome());
        assertArrayEquals(afterFive, ModelFile.read(modelFile).get(ModelFileFormat.PARAMETERS));
        assertEquals(TrainResult.Outcome.ALREADY_FINISHED, resumeFromFile(five, out).outcome());

        // Fewer steps than the checkpoint holds cannot be honoured: an error naming both step counts.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> resumeFromFile(TinyModels.quickOptions(4).build(), out));
        assertTrue(e.getMessage().contains("at step 5, past the 4 steps asked for"), e.getMessage());
        assertArrayEquals(afterFive, ModelFile.read(modelFile).get(ModelFileFormat.PARAMETERS));
    }

    /** Resumes the run in {@code out} from its checkpoint file, as the command line does. */
    private static TrainResult resumeFromFile(TrainConfig options, Path out) throws IOException {
        try (Checkpoint checkpoint = Checkpoint.load(out.resolve(LmTrainer.CHECKPOINT_FILE), Device.cpu())) {
            LazyLanguageModel lm = checkpoint.model();
            return new LmTrainer(options, out).resume(checkpoint, train(lm), valid(lm));
        }
    }

    @Test
    void onlyTheTrainersOwnTemporaryFilesCountAsStray() {
        for (String name : List.of(".model.lazylm.zip.123.tmp", ".checkpoint.lazylm.zip.9876543210.tmp",
                ".probe42.tmp")) {
            assertTrue(LmTrainer.isStaleTemporary(name), name);
        }
        for (String name : List.of("model.lazylm.zip", "model.lazylm.zip.123.tmp", ".model.lazylm.zip.tmp",
                ".model.lazylm.zip..tmp", ".model.lazylm.zip.12a.tmp", ".model.lazylm.zip.123.tmp.keep",
                ".other.lazylm.zip.123.tmp", ".metrics.jsonl.123.tmp", ".tokenizer.json.123.tmp", ".probe.tmp",
                "notes.tmp", ".modelXlazylm.zip.123.tmp")) {
            assertFalse(LmTrainer.isStaleTemporary(name), name);
        }
    }

    /** The loss of every step of a run with gradient accumulation 2 (so resume covers accumulation). */
    private double[] lossCurve(String name, int steps) throws IOException {
        Path out = dir.resolve(name);
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            new LmTrainer(TinyModels.quickOptions(steps)
                    .set(GRAD_ACCUM, 2).build(), out).train(lm, train(lm), valid(lm));
        }
        return trainLosses(out.resolve(LmTrainer.METRICS_FILE));
    }

    private static double[] trainLosses(Path metrics) throws IOException {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.get("event").getAsString().equals("train")) {
                assertEquals(losses.size() + 1, o.get("step").getAsInt(), "one line per step, in order");
                losses.add(o.get("loss").getAsDouble());
            }
        }
        return losses.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    void divergenceStopsWithAClearMessageAndKeepsTheLastCheckpoint() throws IOException {
        Path out = dir.resolve("diverge");
        TrainConfig options = TinyModels.quickOptions(4).set(CHECKPOINT_EVERY, 4).build();
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            new LmTrainer(options, out).train(lm, train(lm), valid(lm));
        }
        Path checkpointFile = out.resolve(LmTrainer.CHECKPOINT_FILE);
        byte[] before = Files.readAllBytes(checkpointFile);

        try (Checkpoint checkpoint = Checkpoint.load(checkpointFile, Device.cpu())) {
            LazyLanguageModel lm = checkpoint.model();
            poison(lm);
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> new LmTrainer(TinyModels.quickOptions(8).set(CHECKPOINT_EVERY, 1).build(), out)
                            .resume(checkpoint, train(lm), valid(lm)));
            assertTrue(e.getMessage().contains("training diverged at step 5"), e.getMessage());
            assertTrue(e.getMessage().contains(checkpointFile.toString()), e.getMessage());
        }
        assertArrayEquals(before, Files.readAllBytes(checkpointFile), "the last good checkpoint is untouched");
        try (Checkpoint again = Checkpoint.load(checkpointFile, Device.cpu())) {
            assertEquals(TinyModels.config(AttentionVariant.LAZY), again.model().config());
        }
    }

    @Test
    void skippingNonFiniteStepsNeverWritesAModelWithNaN() throws IOException {
        Path out = dir.resolve("skip");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            poison(lm);
            TrainConfig options = TinyModels.quickOptions(3).set(ON_NAN, TrainConfig.NonFinitePolicy.SKIP).build();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new LmTrainer(options, out).train(lm, train(lm), valid(lm)));
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        }
        assertFalse(Files.exists(out.resolve(LmTrainer.MODEL_FILE)));
        assertFalse(Files.exists(out.resolve(LmTrainer.CHECKPOINT_FILE)));
        String metrics = Files.readString(out.resolve(LmTrainer.METRICS_FILE));
        assertEquals(3, metrics.split("\"event\":\"skip\"").length - 1, metrics);
    }

    /** Puts a NaN into the first layer's query projection, as a diverged update would. */
    private static void poison(LazyLanguageModel lm) {
        NDArray weight = lm.block().getParameters().values().stream()
                .filter(p -> p.getName().equals("weight")).findFirst().orElseThrow().getArray();
        // An indexed write copies into the tensor; set(float[]) would make it use a Java buffer instead.
        weight.set(new ai.djl.ndarray.index.NDIndex("0, 0"), Float.NaN);
    }

    @Test
    void badOptionsAndAnOccupiedOutputFolderAreRefusedBeforeTraining() throws IOException {
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                    () -> new LmTrainer(TinyModels.quickOptions(0).build(), dir.resolve("zero")).train(lm, train(lm), null));
            assertEquals("steps must be >= 1, got 0", zero.getMessage());
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> new LmTrainer(TinyModels.quickOptions(2)
                            .set(SEQUENCE_LENGTH, 33).build(), dir.resolve("long"))
                            .train(lm, train(lm), null));
            assertTrue(tooLong.getMessage().contains("longer than the model's context length 32"));
            Files.createDirectories(dir.resolve("taken"));
            Files.writeString(dir.resolve("taken").resolve(LmTrainer.CHECKPOINT_FILE), "precious");
            IllegalArgumentException taken = assertThrows(IllegalArgumentException.class,
                    () -> new LmTrainer(TinyModels.quickOptions(2).build(), dir.resolve("taken")).train(lm, train(lm), null));
            assertTrue(taken.getMessage().contains("already holds"), taken.getMessage());
            assertEquals("precious", Files.readString(dir.resolve("taken").resolve(LmTrainer.CHECKPOINT_FILE)));
        }
    }
}

package dev.lazyattention.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.lazyattention.lm.LazyLanguageModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training in a child JVM that is killed (SIGKILL) or runs out of space never loses the last checkpoint. */
@Tag("slow") // child JVMs, about 25 s: runs under -Pfull
class ChildJvmFaultsTest {

    @TempDir
    Path dir;

    private static Process start(List<String> prefix, String... args) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx512m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(TrainingChild.class.getName());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb.start();
    }

    @Test
    void killedAtTenRandomMomentsTheLastCheckpointLoadsAndTrainingResumes() throws Exception {
        Path out = dir.resolve("run");
        Random random = new Random(42);
        int lastStep = 0;
        for (int kill = 0; kill < 10; kill++) {
            Process child = start(List.of(), "train", out.toString(), "400");
            if (kill == 0) {
                // The first kill comes after the first checkpoint, however slowly a busy machine starts the JVM.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (!Files.exists(out.resolve(LmTrainer.CHECKPOINT_FILE)) && child.isAlive()
                        && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                Thread.sleep(random.nextInt(500));
            } else {
                // The JVM and the engine start in about a second; after that a checkpoint is written every step.
                Thread.sleep(1200 + random.nextInt(1500));
            }
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            Path file = out.resolve(LmTrainer.CHECKPOINT_FILE);
            if (Files.exists(file)) {
                try (Checkpoint cp = Checkpoint.load(file, Device.cpu())) { // must always load
                    assertTrue(cp.step() >= lastStep, "checkpoints only move forward");
                    lastStep = cp.step();
                }
            }
        }
        assertTrue(lastStep > 0, "at least one checkpoint was written before the kills");
        // Resume to the end in a child that is left alone.
        Process child = start(List.of(), "train", out.toString(), Integer.toString(lastStep + 3));
        String log = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, child.exitValue(), log);
        try (LazyLanguageModel lm = LazyLanguageModel.load(out.resolve(LmTrainer.MODEL_FILE), Device.cpu())) {
            assertTrue(lm.parameterCount() > 0);
        }
        try (var files = Files.list(out)) {
            List<String> stale = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
            assertTrue(stale.isEmpty(), "stale temporary files removed: " + stale);
        }
    }

    @Test
    void runningOutOfSpaceWhileSavingLeavesThePreviousModelIntact() throws Exception {
        Path model = dir.resolve("model.lazylm.zip");
        Process first = start(List.of(), "save", model.toString());
        assertTrue(first.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, first.exitValue(), new String(first.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        byte[] before = Files.readAllBytes(model);
        // Files may grow to 100 KB only: the new model (about 1 MB) cannot be written.
        Process starved = start(List.of("bash", "-c", "ulimit -f 100; exec \"$0\" \"$@\""), "save", model.toString());
        String log = new String(starved.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(starved.waitFor(60, TimeUnit.SECONDS));
        assertEquals(3, starved.exitValue(), log);
        assertTrue(log.contains("cannot write " + model) && log.contains("previous file is unchanged"), log);
        assertArrayEquals(before, Files.readAllBytes(model));
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }
}

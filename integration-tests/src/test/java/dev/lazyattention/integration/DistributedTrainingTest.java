package dev.lazyattention.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.lazyattention.cli.Main;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScore;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.SyntheticCorpus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training at scale goes through PyTorch's own distributed engine: {@code python/train_ddp.py} trains with
 * {@code DistributedDataParallel} in two processes (gloo), rank 0 saves the folder, {@code lazyattn import}
 * turns it into a model file, and Java's log-probabilities of the file and of the folder equal PyTorch's.
 */
@Tag("slow")
class DistributedTrainingTest {

    @TempDir
    Path dir;

    @Test
    void aModelTrainedWithDistributedDataParallelInTwoProcessesScoresTheSameInJava() throws Exception {
        PyTorchReference.assumeAvailable();
        Path text = dir.resolve("train.txt");
        Files.writeString(text, String.join("\n", SyntheticCorpus.documents(200, 41)) + "\n", StandardCharsets.UTF_8);
        Path folder = dir.resolve("ddp");
        String log = PyTorchReference.run("train_ddp.py", "--text", text.toString(), "--out", folder.toString(),
                "--nproc", "2", "--steps", "20", "--variant", "lazy", "--kv-heads", "2", "--start-token",
                "--context", "128", "--seed", "1");
        String[] lines = log.strip().split("\n");
        System.out.println("train_ddp.py --nproc 2, last lines:\n  "
                + String.join("\n  ", List.of(lines).subList(Math.max(0, lines.length - 4), lines.length)));
        assertTrue(log.contains("step 20/20 loss"), log);
        assertTrue(log.contains("(2 processes, 20 steps)"), log);

        Path file = dir.resolve("ddp.lazylm.zip");
        assertEquals(0, Main.run("import", folder.toString(), "--out", file.toString()));

        List<String> texts = List.of(SyntheticCorpus.documents(3, 99).get(0).substring(0, 100), "Grüße, 世界!");
        List<int[]> sequences = new ArrayList<>();
        for (String t : texts) {
            byte[] utf8 = t.getBytes(StandardCharsets.UTF_8);
            int[] ids = new int[utf8.length + 1];
            ids[0] = 256;
            for (int i = 0; i < utf8.length; i++) {
                ids[i + 1] = utf8[i] & 0xFF;
            }
            sequences.add(ids);
        }
        List<double[]> python = PyTorchReference.score(folder, sequences, dir);
        for (Path model : List.of(file, folder)) {
            try (LazyLanguageModel lm = LazyLanguageModel.load(model, Device.cpu())) {
                SequenceScorer scorer = new SequenceScorer(lm, ScoringOptions.defaults(lm.config().contextLength()));
                List<SequenceScore> java = scorer.score(sequences.stream().map(s -> new ScoringRequest(s, 1)).toList());
                double max = 0;
                for (int i = 0; i < texts.size(); i++) {
                    max = Math.max(max, PyTorchReference.largestDifference(python.get(i),
                            java.get(i).logProbabilities(), model.getFileName().toString()));
                }
                System.out.printf(Locale.ROOT, "parity ddp->java %s: largest difference %.3e%n", model.getFileName(), max);
                assertTrue(max <= PyTorchParityTest.TOLERANCE, model + ": largest difference " + max);
            }
        }
    }
}

package dev.lazyattention.lab.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.cli.CommandRun;
import dev.lazyattention.lab.LabRun;
import dev.lazyattention.testing.SyntheticCorpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Repeated seeds get runs of their own, and held-out text is scored like the validation text. */
class ExperimentSeedsTest {

    @TempDir
    Path dir;

    @Test
    void repeatedSeedsRunAgainAndHeldOutTextIsScored() throws IOException {
        Path train = dir.resolve("train.txt");
        Path valid = dir.resolve("valid.txt");
        Files.writeString(train, String.join("\n\n", SyntheticCorpus.documents(200, 1)));
        Files.writeString(valid, String.join("\n\n", SyntheticCorpus.documents(20, 2)));
        Path out = dir.resolve("exp");
        CommandRun r = LabRun.of("experiment", "--train", train.toString(), "--valid", valid.toString(),
                "--held-out", valid.toString(), "--variants", "lazy,softmax", "--repeat-seeds", "77",
                "--preset", "tiny", "--steps", "3", "--seed", "5", "--out", out.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());

        JsonArray runs = JsonParser.parseString(Files.readString(out.resolve("results.json"))).getAsJsonObject()
                .getAsJsonArray("variants");
        List<String> ids = new ArrayList<>();
        for (var e : runs) {
            JsonObject o = e.getAsJsonObject();
            ids.add(o.get("run").getAsString());
            // The held-out file here is the validation file: scored the same way, it must give the same value.
            assertEquals(o.get("bitsPerByte").getAsDouble(),
                    o.getAsJsonObject("heldOut").get("bitsPerByte").getAsDouble(), 1e-9, o.get("run").getAsString());
        }
        assertEquals(List.of("lazy", "softmax", "lazy-seed77", "softmax-seed77"), ids);
        assertEquals(5, runs.get(0).getAsJsonObject().get("seed").getAsLong());
        assertEquals(77, runs.get(2).getAsJsonObject().get("seed").getAsLong());
        // Another seed is another initialisation: the losses differ.
        assertNotEquals(runs.get(0).getAsJsonObject().get("loss").getAsDouble(),
                runs.get(2).getAsJsonObject().get("loss").getAsDouble());
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("**Seeds.** Validation text: lazy: ") && report.contains("Held-out text: lazy: ")
                && report.contains("(seed 77)"), report);
        assertTrue(report.contains("On the held-out text (mean of 2 and 2 seeds): "), report);
        assertTrue(report.contains("| lazy-seed77 |"), report);
    }

    @Test
    void theExperimentsOwnSeedIsNotARepeat() throws IOException {
        Path train = dir.resolve("t.txt");
        Files.writeString(train, "some text\n");
        CommandRun r = LabRun.of("experiment", "--train", train.toString(), "--valid", train.toString(),
                "--repeat-seeds", "1234", "--seed", "1234", "--out", dir.resolve("o").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--repeat-seeds 1234 is the experiment's own --seed"), r.err());
    }

    @Test
    void attentionMapsShowTheHeadsWithTheMostSinkFirst() {
        double[][] sink = {{0.1, 0.7, 0.05, 0.4}, {0.9, 0.0, 0.2, 0.3}};
        assertArrayEquals(new int[] {1, 3}, ExperimentReport.headsWithMostSink(sink, 0, 2));
        assertArrayEquals(new int[] {0, 3, 2, 1}, ExperimentReport.headsWithMostSink(sink, 1, 4));
    }
}

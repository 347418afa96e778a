package dev.lazyattention.lab.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.cli.CommandRun;
import dev.lazyattention.lab.LabRun;
import dev.lazyattention.testing.SyntheticCorpus;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny experiment end to end: every picture decodes at its size, and bad input stops it before training. */
class ExperimentCommandTest {

    @TempDir
    Path dir;

    private Path[] corpus() throws IOException {
        Path train = dir.resolve("train.txt");
        Path valid = dir.resolve("valid.txt");
        Files.writeString(train, String.join("\n\n", SyntheticCorpus.documents(200, 1)));
        Files.writeString(valid, String.join("\n\n", SyntheticCorpus.documents(20, 2)));
        return new Path[] {train, valid};
    }

    @Test
    void aTinyRunRendersEveryPictureAndTheReport() throws IOException {
        Path[] files = corpus();
        Path out = dir.resolve("exp");
        Path items = dir.resolve("items.jsonl");
        Files.writeString(items, "{\"goal\": \"The quick fox\", \"sol1\": \"sees the dog.\", \"sol2\": \"zzq.\", \"label\": 0}\n"
                + "{\"goal\": \"The old farmer\", \"sol1\": \"qqj.\", \"sol2\": \"helps the child.\", \"label\": 1}\n");
        Path labels = dir.resolve("labels.lst");
        Files.writeString(labels, "0\n1\n");
        CommandRun r = LabRun.of("experiment", "--train", files[0].toString(), "--valid", files[1].toString(),
                "--preset", "tiny", "--steps", "4", "--out", out.toString(), "--piqa", items.toString(),
                "--piqa-labels", labels.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());

        // Sizes of the tiny configuration (2 layers, 4 heads): charts 900 x 560; grids of tiles plus a legend.
        Map<String, int[]> sizes = Map.of("mean_cosine_per_layer.png", new int[] {900, 560},
                "effective_rank_per_layer.png", new int[] {900, 560},
                "valid_loss.png", new int[] {900, 560},
                "sparsity_over_training.png", new int[] {900, 560},
                "sink_mass_over_training.png", new int[] {900, 560},
                "sparsity_per_layer.png", new int[] {900, 560},
                "tau.png", new int[] {2 * 420 + 110, 420 + 40},
                "distance_bias.png", new int[] {2 * 260 + 110, 2 * 260 + 40},
                "attention_maps.png", new int[] {4 * 230 + 110, 8 * 230 + 40}); // softmax, lazy, off_by_one, gated: both layers
        for (String picture : ExperimentReport.PICTURES) {
            BufferedImage image = ImageIO.read(out.resolve(picture).toFile());
            assertTrue(image != null, picture + " decodes as PNG");
            assertEquals(sizes.get(picture)[0], image.getWidth(), picture + " width");
            assertEquals(sizes.get(picture)[1], image.getHeight(), picture + " height");
        }
        String report = Files.readString(out.resolve("report.md"));
        for (String picture : ExperimentReport.PICTURES) {
            assertTrue(report.contains("](" + picture + ")"), "report links " + picture);
        }
        assertTrue(report.contains("- Model: 2 layers of 4 heads of 16 (2 key/value heads), hidden size 64\n"), report);
        assertTrue(report.contains("| meanCosine per layer |") && report.contains("Roy and Vetterli"), report);
        assertTrue(report.contains(" off_by_one: ") && report.contains(" gated: ") && report.contains("implicit zero key"), report);

        JsonObject results = JsonParser.parseString(Files.readString(out.resolve("results.json"))).getAsJsonObject();
        JsonArray variants = results.getAsJsonArray("variants");
        assertEquals(6, variants.size(), "lazy, softmax, bias_only, elastic_only, off_by_one, gated");
        long params = variants.get(1).getAsJsonObject().get("parameters").getAsLong(); // softmax
        for (var v : variants) {
            JsonObject o = v.getAsJsonObject();
            for (String key : new String[] {"loss", "perplexity", "bitsPerByte", "sparsity", "sparsityPerLayer",
                    "sinkMass", "sinkRate", "survivingMass", "trainTokensPerSecond", "parameters", "steps",
                    "wallSeconds", "piqaAcc", "piqaAccNorm", "meanCosine", "effectiveRank"}) {
                assertTrue(o.has(key), key + " in " + o.get("variant"));
            }
            assertTrue(Math.abs(o.get("parameters").getAsLong() - params) <= 0.01 * params, "parameters within 1%");
        }
        assertTrue(variants.get(0).getAsJsonObject().get("tau").isJsonArray(), "lazy reports tau per layer and head");

        // The report's sink claim names the rates this run measured (results.json), and where softmax formed
        // too few sinks to test the claim, says so with softmax's own rate.
        double lazyRate = variants.get(0).getAsJsonObject().get("sinkRate").getAsDouble();
        double softmaxRate = variants.get(1).getAsJsonObject().get("sinkRate").getAsDouble();
        assertTrue(report.contains(String.format(Locale.ROOT, "): softmax %.0f%%, lazy %.0f%%", 100 * softmaxRate,
                100 * lazyRate)), report);
        if (softmaxRate < ExperimentReport.SINK_RATE_TARGET) {
            assertTrue(report.contains(String.format(Locale.ROOT, "Softmax formed a sink in only %.0f%% of its heads",
                    100 * softmaxRate)), report);
        }
    }

    @Test
    void badInputIsRefusedBeforeAnyTraining() throws IOException {
        Path[] files = corpus();
        Path out = dir.resolve("bad");
        CommandRun unknown = LabRun.of("experiment", "--train", files[0].toString(), "--valid", files[1].toString(),
                "--variants", "lazy,sparse", "--out", out.toString());
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("Unknown attention variant 'sparse'"), unknown.err());
        CommandRun missing = LabRun.of("experiment", "--train", dir.resolve("nope.txt").toString(), "--valid",
                files[1].toString(), "--out", out.toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope.txt: file not found"), missing.err());
        Path blocker = dir.resolve("blocker");
        Files.writeString(blocker, "a file where a folder should be");
        CommandRun unwritable = LabRun.of("experiment", "--train", files[0].toString(), "--valid",
                files[1].toString(), "--preset", "tiny", "--out", blocker.resolve("sub").toString());
        assertEquals(1, unwritable.code());
        assertTrue(unwritable.err().contains("is not a writable folder"), unwritable.err());
        assertFalse(Files.exists(out), "nothing was written");
    }
}

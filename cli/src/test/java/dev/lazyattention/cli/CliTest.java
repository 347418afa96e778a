package dev.lazyattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.testing.SyntheticCorpus;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The lazyattn command end to end on a tiny model, and its answers to bad input. */
class CliTest {

    @TempDir
    static Path dir;

    static Path trainFile;
    static Path validFile;
    static Path model;

    /** Runs {@code lazyattn args} in this JVM with empty standard input. */
    static CommandRun run(String... args) {
        return runWithInput("", args);
    }

    /** {@link #run} with {@code input} as standard input. */
    static CommandRun runWithInput(String input, String... args) {
        return runWithInputBytes(input.getBytes(StandardCharsets.UTF_8), args);
    }

    /** {@link #run} with {@code input} as the bytes of standard input. */
    static CommandRun runWithInputBytes(byte[] input, String... args) {
        return CommandRun.of(Main::run, input, args);
    }

    @BeforeAll
    static void trainTiny() throws IOException {
        trainFile = dir.resolve("train.txt");
        validFile = dir.resolve("valid.txt");
        Files.writeString(trainFile, String.join("\n\n", SyntheticCorpus.documents(300, 1)));
        Files.writeString(validFile, String.join("\n\n", SyntheticCorpus.documents(20, 2)));
        CommandRun r = run("train", "--train", trainFile.toString(), "--valid", validFile.toString(), "--preset", "tiny",
                "--context", "32", "--vocab-size", "320", "--steps", "12", "--batch-size", "8", "--eval-every", "6",
                "--out", dir.resolve("run").toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        model = dir.resolve("run").resolve("model.lazylm.zip");
        assertTrue(Files.exists(model), r.out());
        assertTrue(r.out().contains("Done: 12 steps"), r.out());
    }

    @Test
    void evalPrintsOneJsonObjectWithTheMetricNamesOfTheDesign() {
        CommandRun r = run("eval", "--model", model.toString(), "--json", validFile.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        for (String key : List.of("loss", "perplexity", "bitsPerByte", "sparsity", "sparsityPerLayer", "sinkMass",
                "sinkRate", "survivingMass")) {
            assertTrue(o.has(key), key + " in " + r.out());
        }
        assertEquals(Math.exp(o.get("loss").getAsDouble()), o.get("perplexity").getAsDouble(), 1e-6);
        assertEquals(2, o.getAsJsonArray("sparsityPerLayer").size());
    }

    @Test
    void evalJsonCarriesTheCollapseOfEveryLayer() {
        CommandRun r = run("eval", "--model", model.toString(), "--json", validFile.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        for (String key : List.of("meanCosine", "effectiveRank")) {
            assertEquals(2, o.getAsJsonArray(key).size(), key + " has one value per layer of the tiny preset: " + r.out());
        }
        for (var v : o.getAsJsonArray("meanCosine")) {
            assertTrue(v.getAsDouble() > -1 && v.getAsDouble() <= 1, "a mean cosine in (-1, 1]: " + r.out());
        }
        for (var v : o.getAsJsonArray("effectiveRank")) {
            assertTrue(v.getAsDouble() >= 1 && v.getAsDouble() <= 32, "an effective rank in [1, min(n, C)]: " + r.out());
        }
        assertTrue(o.get("collapseWindows").getAsLong() >= 20, "every document has a window: " + r.out());
        assertTrue(Double.isFinite(o.get("meanCosineFinal").getAsDouble()), r.out());
        assertTrue(Double.isFinite(o.get("effectiveRankFinal").getAsDouble()), r.out());
        System.out.println("[collapse] eval --json of the tiny model: " + r.out().strip());
    }

    @Test
    void generateInspectAndChooseWork() throws IOException {
        CommandRun g = run("generate", "--model", model.toString(), "--prompt", "The quick fox", "--max-tokens", "10",
                "--seed", "3");
        assertEquals(0, g.code(), g.err());
        assertTrue(g.out().startsWith("The quick fox"), g.out());

        CommandRun i = run("inspect", "--model", model.toString());
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("tau layer 0") && i.out().contains("tau layer 1"), i.out());

        Path items = dir.resolve("items.jsonl");
        Files.writeString(items, "{\"goal\": \"The quick fox\", \"sol1\": \"sees the dog.\", \"sol2\": \"zzq vvk.\"}\n"
                + "{\"goal\": \"The old farmer\", \"sol1\": \"xxj qqp.\", \"sol2\": \"helps the child.\"}\n");
        Path labels = dir.resolve("labels.lst");
        Files.writeString(labels, "0\n1\n");
        CommandRun c = run("choose", "--model", model.toString(), "--items", items.toString(), "--labels", labels.toString(),
                "--json");
        assertEquals(0, c.code(), c.err());
        JsonObject o = JsonParser.parseString(c.out()).getAsJsonObject();
        assertEquals(2, o.get("items").getAsInt());
        assertEquals(1.0, o.get("acc").getAsDouble(), "a trained model prefers its grammar to letter soup");
    }

    @Test
    void resumeOfAFinishedRunWritesAMissingModelFromTheCheckpointAndOtherwiseDoesNothing() throws IOException {
        // A copy of the finished run, killed between its last checkpoint and its model file.
        Path crashed = dir.resolve("crashed");
        Files.createDirectories(crashed);
        try (var files = Files.list(dir.resolve("run"))) {
            for (Path p : files.toList()) {
                Files.copy(p, crashed.resolve(p.getFileName()));
            }
        }
        Path copy = crashed.resolve("model.lazylm.zip");
        Files.delete(copy);
        Path stray = crashed.resolve(".model.lazylm.zip.123.tmp");
        Files.writeString(stray, "half a model");

        CommandRun r = run("train", "--train", trainFile.toString(), "--out", crashed.toString(), "--resume", "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("checkpoint at step 12 of 12") && r.out().contains("wrote it from the checkpoint"),
                r.out());
        assertTrue(Files.exists(copy));
        assertFalse(Files.exists(stray), "stray temporary file removed");
        byte[] written = Files.readAllBytes(copy);

        CommandRun again = run("train", "--train", trainFile.toString(), "--out", crashed.toString(), "--resume",
                "--no-progress");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("Training already finished: the checkpoint is at step 12 of 12"), again.out());
        assertTrue(java.util.Arrays.equals(written, Files.readAllBytes(copy)), "the model file is left as it was");
    }

    /** Every command {@code lazyattn} registers, so that a new one cannot be left out of the help check. */
    static java.util.Set<String> commands() {
        return new picocli.CommandLine(new Main()).getSubcommands().keySet();
    }

    @ParameterizedTest
    @MethodSource("commands")
    void everyCommandHasHelp(String command) {
        CommandRun r = run(command, "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("Usage: lazyattn " + command), r.out());
    }

    @Test
    void badInputGivesAClearErrorAndANonZeroExitCode() throws IOException {
        Path out = dir.resolve("bad");
        assertFails(run("train", "--train", dir.resolve("missing.txt").toString(), "--out", out.toString()),
                "missing.txt: file not found");
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "  \n");
        assertFails(run("train", "--train", empty.toString(), "--out", out.toString()),
                "empty.txt: no text (the input is empty or only whitespace)");
        Path binary = dir.resolve("binary.bin");
        Files.write(binary, new byte[] {1, 2, 0, 4});
        assertFails(run("train", "--train", binary.toString(), "--out", out.toString()), "looks binary");
        assertFails(run("train", "--train", trainFile.toString(), "--preset", "huge", "--out", out.toString()),
                "Unknown preset 'huge'");
        assertFails(run("train", "--train", trainFile.toString(), "--attention", "sparse", "--out", out.toString()),
                "--attention=sparse: expected one of lazy, softmax");
        assertFails(run("train", "--train", trainFile.toString(), "--steps", "0", "--out", out.toString()),
                "--steps must be >= 1");
        assertFalse(Files.exists(out.resolve("model.lazylm.zip")), "nothing half-written");

        byte[] before = Files.readAllBytes(model);
        assertFails(run("train", "--train", trainFile.toString(), "--preset", "tiny", "--out",
                model.getParent().toString()), "already holds");
        assertEquals(new String(before, StandardCharsets.ISO_8859_1),
                new String(Files.readAllBytes(model), StandardCharsets.ISO_8859_1), "the earlier model is untouched");

        assertFails(run("eval", "--model", model.toString(), "--window", "999", validFile.toString()),
                "--window=999: must be in [2, 32], the model's context length");
        assertFails(run("generate", "--model", model.toString(), "--prompt", "The dog sees the cat. ".repeat(30)),
                "must fit the model's context of 32 tokens");
        assertFails(run("eval", "--model", dir.resolve("nope.lazylm.zip").toString(), validFile.toString()),
                "nope.lazylm.zip: file not found");
        assertFails(run("train", "--train", trainFile.toString(), "--out", dir.resolve("fresh").toString(), "--resume"),
                "does not exist");

        CommandRun unknown = run("train", "--train", trainFile.toString(), "--out", out.toString(), "--no-such-option");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("Unknown option: '--no-such-option'"), unknown.err());
    }

    @Test
    void checkDeviceRunsItsWholeComparisonAndRefusesAMissingGpu() {
        // On a CPU-only machine the comparison can only run against the CPU itself: every number must match.
        CommandRun r = run("check-device", "--device", "cpu", "--model", model.toString(), "--sequences", "2",
                "--train-steps", "2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(0.0, o.get("maxTokenLogProbDifference").getAsDouble());
        assertEquals(o.get("trainLossCpu").getAsDouble(), o.get("trainLossDevice").getAsDouble());
        assertTrue(o.get("pass").getAsBoolean());
        if (ai.djl.engine.Engine.getInstance().getGpuCount() == 0) {
            assertFails(run("check-device", "--device", "gpu"), "--device=gpu: the PyTorch engine reports 0 GPU(s)");
        }
    }

    @Test
    void everyCommandThatReadsTextTakesFileOrDashAndRefusesAnEmptyInputAlike() throws IOException {
        String text = Files.readString(validFile);
        CommandRun fromFile = run("eval", "--model", model.toString(), "--json", "--no-attention-stats", validFile.toString());
        CommandRun fromStandardInput = runWithInput(text, "eval", "--model", model.toString(), "--json", "--no-attention-stats",
                "-");
        assertEquals(0, fromStandardInput.code(), fromStandardInput.err());
        assertEquals(JsonParser.parseString(fromFile.out()), JsonParser.parseString(fromStandardInput.out()));

        String sentence = "The quick fox sees the dog. The old farmer helps the child.";
        Path one = dir.resolve("one.txt");
        Files.writeString(one, sentence);
        CommandRun positional = run("annotate", "--model", model.toString(), "--compact", one.toString());
        assertEquals(0, positional.code(), positional.err());
        for (CommandRun same : List.of(run("annotate", "--model", model.toString(), "--compact", "--file", one.toString()),
                runWithInput(sentence, "annotate", "--model", model.toString(), "--compact", "-"),
                runWithInput(sentence, "annotate", "--model", model.toString(), "--compact"))) {
            assertEquals(0, same.code(), same.err());
            assertEquals(positional.out(), same.out());
        }
        // The scoring options reach the annotator under its property names: two predictions after each sentence.
        CommandRun topK = run("annotate", "--model", model.toString(), "--compact", "--top-k", "2", "--scope",
                "document", "--batch-size", "1", "--window", "16", one.toString());
        assertEquals(0, topK.code(), topK.err());
        assertEquals(2, topK.out().split("\"nextTokens\":\\[", -1).length - 1, topK.out());
        assertFails(run("annotate", "--model", model.toString(), "--window", "999", one.toString()),
                "--window=999: must be in [2, 32], the model's context length");

        // Empty: the same refusal from a file and from standard input, in every command.
        Path empty = dir.resolve("blank.txt");
        Files.writeString(empty, " \n");
        String noText = ": no text (the input is empty or only whitespace)";
        assertFails(run("annotate", "--model", model.toString(), empty.toString()), "blank.txt" + noText);
        assertFails(runWithInput("", "annotate", "--model", model.toString()), "standard input" + noText);
        assertFails(runWithInput(" \n", "annotate", "--model", model.toString(), "-"), "standard input" + noText);
        assertFails(run("eval", "--model", model.toString(), empty.toString()), "blank.txt" + noText);
        assertFails(runWithInput("", "eval", "--model", model.toString(), "-"), "standard input" + noText);
        assertFails(runWithInput("", "train", "-", "--out", dir.resolve("none").toString()), "standard input" + noText);
    }

    @Test
    void textThatIsNotUtf8IsRefusedWithTheByteOffset() throws IOException {
        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertFails(run("eval", "--model", model.toString(), latin1.toString()),
                "latin1.txt: not valid UTF-8 text: byte 0xE9 at byte offset 3 (line 1) is not UTF-8");
        assertFails(run("annotate", "--model", model.toString(), latin1.toString()), "byte 0xE9 at byte offset 3");
        CommandRun piped = runWithInputBytes(new byte[] {'o', 'k', '\n', (byte) 0xFF}, "annotate", "--model", model.toString());
        assertFails(piped, "standard input: not valid UTF-8 text: byte 0xFF at byte offset 3 (line 2)");
    }

    @Test
    void usageErrorsNameTheMisspeltOptionAndTheInputOrder() {
        CommandRun misspelt = run("eval", "--modle", model.toString(), validFile.toString());
        assertEquals(2, misspelt.code(), misspelt.err());
        assertTrue(misspelt.err().contains("Unknown option: '--modle'") && misspelt.err().contains("Did you mean --model?"),
                misspelt.err());
        CommandRun annotate = run("annotate", "--modle=" + model, validFile.toString());
        assertEquals(2, annotate.code(), annotate.err());
        assertTrue(annotate.err().contains("Did you mean --model?"), annotate.err());

        CommandRun order = run("train", "--valid", validFile.toString(), trainFile.toString(), "--out", dir.resolve("o").toString());
        assertEquals(2, order.code(), order.err());
        assertTrue(order.err().contains("put the training FILE... before --valid"), order.err());
        CommandRun none = run("train", "--out", dir.resolve("o").toString());
        assertEquals(2, none.code(), none.err());
        assertTrue(none.err().contains("Missing training text: give FILE..."), none.err());
        CommandRun twice = run("annotate", "--model", model.toString(), "--file", validFile.toString(), validFile.toString());
        assertEquals(2, twice.code(), twice.err());

        CommandRun missingModel = run("annotate", "--model", dir.resolve("nope.lazylm.zip").toString(), validFile.toString());
        assertFails(missingModel, "--model=" + dir.resolve("nope.lazylm.zip") + ": ");
        assertTrue(missingModel.err().contains("nope.lazylm.zip: file not found"), missingModel.err());
    }

    @Test
    void trainingWithoutValidationSaysSoInsteadOfANaNLoss() {
        CommandRun r = run("train", trainFile.toString(), "--preset", "tiny", "--context", "32", "--vocab-size", "320",
                "--steps", "2", "--batch-size", "4", "--out", dir.resolve("unvalidated").toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("no validation files (--valid FILE... gives a held-out loss)"), r.out());
        assertFalse(r.out().contains("NaN"), r.out());
    }

    @Test
    void theCommandLineLowersDjlsGpuProbeWarnings() {
        // DJL's platform detection warns when a CUDA runtime is installed without a usable driver, before any
        // device is chosen; the command's logging configuration keeps that quiet and every other warning.
        assertFalse(org.slf4j.LoggerFactory.getLogger("ai.djl.util.cuda.CudaUtils").isWarnEnabled());
        assertTrue(org.slf4j.LoggerFactory.getLogger("ai.djl.util.cuda.CudaUtils").isErrorEnabled());
        assertTrue(org.slf4j.LoggerFactory.getLogger("ai.djl.engine.Engine").isWarnEnabled());
    }

    /** The first {@code chars} characters of the training grammar's text; accented: every lowercase "the" as "thé". */
    private static String textOf(int chars, boolean accented) {
        String text = String.join("\n\n", SyntheticCorpus.documents(40, 5));
        if (accented) {
            text = text.replace("the ", "thé ");
        }
        assertTrue(text.length() >= chars, "enough text");
        return text.substring(0, chars);
    }

    @Test
    void annotateRefusesAFileOverMaxCharsBeforeReadingItAndWritesNothing() throws IOException {
        Path big = dir.resolve("big.txt");
        Files.writeString(big, textOf(1001, false));
        CommandRun r = run("annotate", "--model", model.toString(), "--file", big.toString(), "--max-chars", "1000");
        assertFails(r, "big.txt: 1001 bytes, more than annotate's limit of 1000 characters");
        assertTrue(r.err().contains("--max-chars"), r.err());
        assertEquals("", r.out(), "no partial JSON");

        Path gz = dir.resolve("big.txt.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            o.write(textOf(1001, false).getBytes(StandardCharsets.UTF_8));
        }
        CommandRun z = run("annotate", "--model", model.toString(), "--file", gz.toString(), "--max-chars", "1000");
        assertFails(z, "bytes compressed, more than annotate's limit of 1000 characters");
        assertEquals("", z.out(), "no partial JSON");
    }

    @Test
    void annotateRefusesStandardInputOverMaxChars() {
        CommandRun r = runWithInput(textOf(1001, false), "annotate", "--model", model.toString(), "--max-chars", "1000");
        assertFails(r, "standard input: more than annotate's limit of 1000 characters");
        assertTrue(r.err().contains("--max-chars"), r.err());
        assertEquals("", r.out(), "no partial JSON");
    }

    @Test
    void annotateScoresATextAtTheLimitFromAFileAndFromStandardInput() throws IOException {
        // More bytes than characters: the limit counts characters, as the annotator's maxDocumentChars does.
        Path atLimit = dir.resolve("at-limit.txt");
        Files.writeString(atLimit, textOf(1000, true));
        assertTrue(Files.size(atLimit) > 1000, "multi-byte characters");
        CommandRun f = run("annotate", "--model", model.toString(), "--file", atLimit.toString(), "--max-chars", "1000",
                "--compact");
        assertScored(f);
        CommandRun s = runWithInput(textOf(1000, false), "annotate", "--model", model.toString(), "--max-chars", "1000",
                "--compact");
        assertScored(s);
    }

    /** A successful annotate whose document got a log-probability, not the NaN (null) of an unscored text. */
    private static void assertScored(CommandRun r) {
        assertEquals(0, r.code(), r.err());
        JsonObject lazylm = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonObject("lazylm");
        assertFalse(lazylm.get("logProb").isJsonNull(), r.out());
        assertTrue(lazylm.get("logProb").getAsDouble() < 0, lazylm.toString());
        assertFalse(r.err().contains("values are NaN"), r.err());
    }

    private static void assertFails(CommandRun r, String message) {
        assertEquals(1, r.code(), "exit code; stderr: " + r.err());
        assertTrue(r.err().contains(message), "expected '" + message + "' in: " + r.err());
    }
}

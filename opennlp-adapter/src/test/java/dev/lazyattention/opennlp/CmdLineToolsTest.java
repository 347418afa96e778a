package dev.lazyattention.opennlp;

import ai.djl.Device;
import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.eval.CorpusEvaluator;
import dev.lazyattention.eval.EvalResult;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.testing.SyntheticCorpus;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CmdLineToolsTest {

    @TempDir
    Path dir;

    /** A tool's constructor. */
    @FunctionalInterface
    private interface ToolFactory {
        LazyAttentionCmdLineTool create(InputStream in, PrintStream out);
    }

    /** What a tool printed and returned. */
    private record Outcome(int status, String out, String err) {}

    private static Outcome run(ToolFactory factory, String input, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InputStream in = new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8));
        int status = factory.create(in, new PrintStream(out, true, StandardCharsets.UTF_8))
                .execute(args, new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path quietTinyParams() throws IOException {
        Path params = dir.resolve("train.properties");
        Files.writeString(params, String.join("\n", "Iterations=100", "lazylm.preset=tiny", "lazylm.contextLength=32",
                "lazylm.vocabSize=300", "lazylm.batchSize=4", "lazylm.gradAccum=1", "lazylm.device=cpu",
                "lazylm.progress=false", ""));
        return params;
    }

    @Test
    void theEvaluatorsArgumentsAreTheOpenNlpColumnOfTheScoringTable() {
        List<String> declared = java.util.Arrays.stream(LazyAttentionEvaluatorTool.Params.class.getMethods())
                .map(m -> "-" + Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4)).toList();
        List<String> table = ScoringConfig.SETTINGS.names(FrontEnd.OPENNLP);
        assertEquals(List.of("-model", "-threads", "-window"), table.stream().sorted().toList());
        assertTrue(declared.containsAll(table), declared.toString());
    }

    @Test
    void theTrainerWritesAModelFromParagraphsOrLines() throws IOException {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, String.join("\n\n", SyntheticCorpus.documents(40, 3)));
        Path params = quietTinyParams();
        for (String mode : List.of("paragraph", "line")) {
            Path model = dir.resolve(mode + ".lazylm.zip");
            Outcome o = run(LazyAttentionTrainerTool::new, "", "-lang", "en", "-data", corpus.toString(), "-model",
                    model.toString(), "-params", params.toString(), "-iterations", "2", "-documents", mode);
            assertEquals(0, o.status(), o.err());
            // Paragraph mode: 40 documents; line mode: the 40 non-blank lines, the same here.
            assertTrue(o.out().contains("Training on 40 documents"), o.out());
            try (LazyLanguageModel lm = LazyLanguageModel.load(model, Device.cpu())) {
                assertEquals("en", lm.language());
                assertEquals(32, lm.config().contextLength());
            }
        }
    }

    @Test
    void theTrainerNamesTheBadFileOrOption() throws IOException {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, "The lazy fox sees the dog.\n");
        Path model = dir.resolve("m.lazylm.zip");
        Path params = quietTinyParams();

        Outcome missing = run(LazyAttentionTrainerTool::new, "", "-lang", "en", "-data", dir.resolve("nope.txt").toString(),
                "-model", model.toString());
        assertNotEquals(0, missing.status());
        assertTrue(missing.err().contains("nope.txt"), missing.err());

        Outcome noModel = run(LazyAttentionTrainerTool::new, "", "-lang", "en", "-data", corpus.toString());
        assertEquals(2, noModel.status(), "a usage error, as in lazyattn");
        assertTrue(noModel.err().contains("Missing mandatory parameter: -model"), noModel.err());

        Outcome badMode = run(LazyAttentionTrainerTool::new, "", "-lang", "en", "-data", corpus.toString(), "-model",
                model.toString(), "-documents", "sentence");
        assertEquals(2, badMode.status());
        assertTrue(badMode.err().contains("-documents"), badMode.err());

        Outcome badIterations = run(LazyAttentionTrainerTool::new, "", "-lang", "en", "-data", corpus.toString(),
                "-model", model.toString(), "-iterations", "lots");
        assertEquals(2, badIterations.status());
        assertTrue(badIterations.err().contains("iterations"), badIterations.err());

        Path badParams = dir.resolve("bad.properties");
        Files.writeString(badParams, Files.readString(params) + "lazylm.batchSize=zero\n");
        Outcome badValue = run(LazyAttentionTrainerTool::new, "", "-lang", "en", "-data", corpus.toString(), "-model",
                model.toString(), "-params", badParams.toString());
        assertEquals(1, badValue.status());
        assertTrue(badValue.err().contains("lazylm.batchSize"), badValue.err());

        Outcome misspelt = run(LazyAttentionTrainerTool::new, "", "-lang", "en", "-data", corpus.toString(), "-model",
                model.toString(), "-iteration", "2");
        assertEquals(2, misspelt.status());
        assertTrue(misspelt.err().contains("-iteration") && misspelt.err().contains("did you mean -iterations?"),
                misspelt.err());

        Path misspeltParams = dir.resolve("misspelt.properties");
        Files.writeString(misspeltParams, Files.readString(params) + "lazylm.lerningRate=0.01\n");
        Outcome misspeltParam = run(LazyAttentionTrainerTool::new, "", "-lang", "en", "-data", corpus.toString(),
                "-model", model.toString(), "-params", misspeltParams.toString());
        assertEquals(1, misspeltParam.status());
        assertTrue(misspeltParam.err().contains("did you mean lazylm.learningRate?"), misspeltParam.err());

        Path stepsTypo = dir.resolve("steps-typo.properties");
        Files.writeString(stepsTypo, Files.readString(params) + "lazylm.stpes=3\n");
        Outcome stpes = run(LazyAttentionTrainerTool::new, "", "-lang", "en", "-data", corpus.toString(), "-model",
                model.toString(), "-params", stepsTypo.toString());
        assertEquals(1, stpes.status(), "a bad value in a file, not a usage error");
        assertTrue(stpes.err().contains("lazylm.stpes") && stpes.err().contains("did you mean lazylm.steps?"),
                stpes.err());

        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
        Outcome notUtf8 = run(LazyAttentionTrainerTool::new, "", "-lang", "en", "-data", latin1.toString(), "-model",
                model.toString(), "-params", params.toString());
        assertNotEquals(0, notUtf8.status());
        assertTrue(notUtf8.err().contains("latin1.txt: not valid UTF-8 text: byte 0xE9 at byte offset 3 (line 1)"),
                notUtf8.err());

        Path binary = dir.resolve("binary.txt");
        Files.write(binary, new byte[] {'a', 0, 'b'});
        Outcome notText = run(LazyAttentionTrainerTool::new, "", "-lang", "en", "-data", binary.toString(), "-model",
                model.toString(), "-params", params.toString());
        assertNotEquals(0, notText.status());
        assertTrue(notText.err().contains("binary.txt") && notText.err().contains("NUL"), notText.err());
        assertFalse(Files.exists(model));
    }

    @Test
    void theEvaluatorReportsTheBlocksMetrics() throws IOException {
        Path a = dir.resolve("a.txt");
        Path b = dir.resolve("b.txt");
        Files.writeString(a, String.join("\n\n", SyntheticCorpus.documents(3, 31)));
        Files.writeString(b, String.join("\n\n", SyntheticCorpus.documents(2, 32)));
        Outcome o = run(LazyAttentionEvaluatorTool::new, "", "-model", TestModels.trainedFile().toString(),
                "-data", a + "," + b);
        assertEquals(0, o.status(), o.err());
        Map<String, String> metrics = new HashMap<>();
        for (String line : o.out().strip().split("\n")) {
            String[] parts = line.split(" ");
            metrics.put(parts[0], parts[1]);
        }
        EvalResult expected = new CorpusEvaluator(TestModels.trainedByBlock(), ScoringOptions.defaults(32))
                .evaluate(TextCorpus.read(List.of(a, b)));
        assertEquals("5", metrics.get("documents"));
        assertEquals(expected.tokens(), Long.parseLong(metrics.get("tokens")));
        assertEquals(expected.bytes(), Long.parseLong(metrics.get("bytes")));
        assertEquals(expected.loss(), Double.parseDouble(metrics.get("loss")), 1e-5);
        assertEquals(expected.perplexity(), Double.parseDouble(metrics.get("perplexity")), 1e-4);
        assertEquals(expected.bitsPerByte(), Double.parseDouble(metrics.get("bitsPerByte")), 1e-5);
        // bits per byte by its definition: total nats over bytes, in bits
        assertEquals(expected.loss() * expected.tokens() / expected.bytes() / Math.log(2),
                Double.parseDouble(metrics.get("bitsPerByte")), 1e-5);
    }

    @Test
    void theEvaluatorNamesTheBadFileOrOption() throws IOException {
        Path text = dir.resolve("a.txt");
        Files.writeString(text, "The lazy fox sees the dog.");
        String model = TestModels.trainedFile().toString();

        Outcome noModel = run(LazyAttentionEvaluatorTool::new, "", "-model", dir.resolve("absent.zip").toString(),
                "-data", text.toString());
        assertNotEquals(0, noModel.status());
        assertTrue(noModel.err().contains("absent.zip"), noModel.err());

        Path corrupt = dir.resolve("corrupt.lazylm.zip");
        Files.writeString(corrupt, "not a zip");
        Outcome corruptModel = run(LazyAttentionEvaluatorTool::new, "", "-model", corrupt.toString(), "-data", text.toString());
        assertNotEquals(0, corruptModel.status());
        assertTrue(corruptModel.err().contains(corrupt.toString()) && corruptModel.err().contains("zip"), corruptModel.err());

        Outcome noData = run(LazyAttentionEvaluatorTool::new, "", "-model", model, "-data", text + "," + dir.resolve("gone.txt"));
        assertNotEquals(0, noData.status());
        assertTrue(noData.err().contains("gone.txt"), noData.err());

        Outcome wideWindow = run(LazyAttentionEvaluatorTool::new, "", "-model", model, "-data", text.toString(),
                "-window", "4096");
        assertEquals(1, wideWindow.status());
        assertTrue(wideWindow.err().contains("window"), wideWindow.err());

        Outcome misspelt = run(LazyAttentionEvaluatorTool::new, "", "-model", model, "-data", text.toString(),
                "-windw", "16");
        assertEquals(2, misspelt.status());
        assertTrue(misspelt.err().contains("Unknown argument -windw; did you mean -window?"), misspelt.err());

        Outcome predictor = run(LazyAttentionPredictorTool::new, "", "-modle", model);
        assertEquals(2, predictor.status());
        assertTrue(predictor.err().contains("Unknown argument -modle; did you mean -model?"), predictor.err());

        Outcome odd = run(LazyAttentionEvaluatorTool::new, "", "-model");
        assertEquals(2, odd.status());
        assertTrue(odd.err().contains("Usage:"), odd.err());
    }

    @Test
    void thePredictorScoresEveryInputLine() throws IOException {
        String input = "The lazy fox sees the\n\nZyxqv 日本語 🙂\n";
        Outcome o = run(LazyAttentionPredictorTool::new, input, "-model", TestModels.trainedFile().toString());
        assertEquals(0, o.status(), o.err());
        String[] lines = o.out().split("\n", -1);
        assertEquals(4, lines.length, o.out()); // three results and the final line break
        try (LazyAttentionModel model = new LazyAttentionModel(TestModels.trainedFile())) {
            LazyAttentionLanguageModel lm = new LazyAttentionLanguageModel(model);
            String[][] tokens = {{"The", "lazy", "fox", "sees", "the"}, {}, {"Zyxqv", "日本語", "🙂"}};
            for (int i = 0; i < tokens.length; i++) {
                String[] fields = lines[i].split("\t", -1);
                assertEquals(2, fields.length, lines[i]);
                assertEquals(lm.logProbability(tokens[i]), Double.parseDouble(fields[0]), 1e-5);
                assertEquals(String.join(" ", lm.predictNextTokens(tokens[i])), fields[1]);
            }
        }
        assertEquals("0.000000", lines[1].split("\t")[0]);
    }

    @Test
    void thePredictorUsesADetokenizerDictionary() throws IOException {
        Path dictionary = dir.resolve("detokenizer.xml");
        Files.writeString(dictionary, """
                <?xml version="1.0" encoding="UTF-8"?>
                <dictionary>
                  <entry operation="MOVE_LEFT"><token>.</token></entry>
                  <entry operation="MOVE_LEFT"><token>,</token></entry>
                </dictionary>
                """);
        Outcome o = run(LazyAttentionPredictorTool::new, "The lazy fox sees the dog .\n", "-model",
                TestModels.trainedFile().toString(), "-detokenizer", dictionary.toString());
        assertEquals(0, o.status(), o.err());
        double expected = TestModels.referenceLogProbability(TestModels.trainedByBlock(), "The lazy fox sees the dog.");
        assertEquals(expected, Double.parseDouble(o.out().split("\t")[0]), 1e-5);

        Outcome missing = run(LazyAttentionPredictorTool::new, "", "-model", TestModels.trainedFile().toString(),
                "-detokenizer", dir.resolve("nodict.xml").toString());
        assertNotEquals(0, missing.status());
        assertTrue(missing.err().contains("nodict.xml"), missing.err());

        Path broken = dir.resolve("broken.xml");
        Files.writeString(broken, "<dictionary><entry");
        Outcome unreadable = run(LazyAttentionPredictorTool::new, "", "-model", TestModels.trainedFile().toString(),
                "-detokenizer", broken.toString());
        assertEquals(1, unreadable.status());
        assertTrue(unreadable.err().contains("broken.xml"), unreadable.err());
    }

    @Test
    void helpIsPrintedWithStatusZero() {
        for (ToolFactory tool : List.<ToolFactory>of(
                LazyAttentionTrainerTool::new, LazyAttentionEvaluatorTool::new, LazyAttentionPredictorTool::new)) {
            Outcome o = run(tool, "", "help");
            assertEquals(0, o.status());
            assertTrue(o.out().startsWith("Usage: java -cp <classpath> dev.lazyattention.opennlp.LazyAttention"), o.out());
            assertTrue(o.out().contains("-model modelFile"), o.out());
        }
    }

    @Test
    @Tag("slow") // child JVMs: runs under -Pfull
    void mainExitsWithTheToolsStatus() throws Exception {
        Path absent = dir.resolve("absent.lazylm.zip");
        Process bad = java(LazyAttentionEvaluatorTool.class, "-model", absent.toString(), "-data", "x.txt");
        assertNotEquals(0, bad.exitValue());
        String err = new String(bad.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(err.contains(absent.toString()), err);

        Process help = java(LazyAttentionPredictorTool.class, "help");
        assertEquals(0, help.exitValue());
        assertTrue(new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8).startsWith("Usage:"));
    }

    /** Runs a tool's main in a new JVM with this test's class path. */
    private static Process java(Class<?> tool, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true",
                tool.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the tool did not finish");
        return p;
    }
}

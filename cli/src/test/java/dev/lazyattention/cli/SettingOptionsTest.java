package dev.lazyattention.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelFileFormat;
import dev.lazyattention.testing.SyntheticCorpus;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.train.TrainedModel;
import dev.lazyattention.train.TrainingRecipe;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.Setting;
import dev.lazyattention.train.TrainConfig;
import dev.lazyattention.settings.SettingOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The commands map their options onto the training configuration, with the table's names and defaults. */
class SettingOptionsTest {

    @TempDir
    Path dir;

    /** The command's spec after parsing {@code args}, as {@code lazyattn} parses them (nothing runs). */
    private static CommandSpec parsed(String command, String... args) {
        return CommandRun.parsed(new CommandLine(new Main()), command, args);
    }

    /** The training settings of a parsed command line. */
    private static TrainConfig train(CommandSpec spec) {
        return SettingOptions.read(spec, FrontEnd.CLI, TrainConfig.builder());
    }

    @Test
    void theSameSettingsTrainTheModelTheRecipeTrainsWhenCalledDirectly() throws IOException {
        Path corpus = dir.resolve("train.txt");
        Files.writeString(corpus, String.join("\n\n", SyntheticCorpus.documents(80, 6)));
        Path out = dir.resolve("cli");
        // The settings of TinyModels.recipeSettings(3), some under their earlier flags.
        CommandRun r = CliTest.run("train", "--train", corpus.toString(), "--out", out.toString(), "--preset", "tiny",
                "--vocab-size", "300", "--context", "32", "--start-token", "--steps", "3", "--batch-size", "4", "--grad-accum", "2",
                "--lr", "0.003", "--warmup", "1", "--weight-decay", "0.05", "--seed", "11", "--device", "cpu",
                "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("no validation files") && !r.out().contains("NaN"), r.out());
        try (TrainedModel direct = TrainingRecipe.of(TinyModels.recipeSettings(3))
                .train(TextCorpus.read(List.of(corpus)), null, dir.resolve("direct"))) {
            assertArrayEquals(ModelFile.read(direct.result().model()).get(ModelFileFormat.PARAMETERS),
                    ModelFile.read(out.resolve("model.lazylm.zip")).get(ModelFileFormat.PARAMETERS));
            assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "train loss %.4f",
                    direct.result().trainLoss())), r.out());
        }
    }

    @Test
    void aMisspeltOptionIsRefusedWithTheClosestOne() {
        CommandRun train = CliTest.run("train", "--train", "t.txt", "--out", dir.toString(), "--lerning-rate", "0.1");
        assertEquals(2, train.code());
        assertTrue(train.err().contains("Unknown option") && train.err().contains("'--lerning-rate'")
                && train.err().contains("Did you mean --learning-rate?"), train.err());
        CommandRun warmup = CliTest.run("train", "--train", "t.txt", "--out", dir.toString(), "--warmup-step=3");
        assertTrue(warmup.err().contains("Did you mean --warmup-steps?"), warmup.err());
        CommandRun demo = CliTest.run("demo", "--sed", "3");
        assertTrue(demo.err().contains("Did you mean --seed?"), demo.err());
    }

    @Test
    void everyTrainingCommandStartsFromTheSettingsTypesDefaults() {
        assertEquals(TrainConfig.DEFAULTS,
                train(parsed("train", "--train", "t.txt", "--out", "o")));
        CommandSpec train = parsed("train", "--train", "t.txt", "--out", "o");
        for (Setting<?> s : TrainConfig.SETTINGS) {
            for (String name : TrainConfig.SETTINGS.names(FrontEnd.CLI, s)) {
                assertNotNull(train.findOption(name), name + " is an option of lazyattn train");
            }
            OptionSpec option = train.findOption(TrainConfig.SETTINGS.name(FrontEnd.CLI, s));
            assertTrue(String.join(" ", option.description()).endsWith("(default: " + s.defaultText() + ")."),
                    s.key() + ": " + String.join(" ", option.description()));
        }
        // The demo is the recipe with its own settings, set in one place and shown as its defaults.
        CommandSpec demo = parsed("demo");
        assertEquals(DemoCommand.DEMO, SettingOptions.read(demo, FrontEnd.CLI, DemoCommand.DEMO.toBuilder()));
        assertTrue(String.join(" ", demo.findOption("--steps").description()).endsWith("(default: 600)."));
        // Hand-written options of a setting take the settings type's default.
        assertEquals(TrainConfig.PRESET.defaultValue(), parsed("check-device").findOption("--preset").defaultValue());
    }

    @Test
    void evalAndAnnotateTakeTheScoringTablesCliColumnEvalWithItsDiagnosticsOn() {
        CommandSpec eval = parsed("eval", "--model", "m.lazylm.zip", "t.txt");
        CommandSpec annotate = parsed("annotate", "--model", "m.lazylm.zip", "t.txt");
        for (String name : ScoringConfig.SETTINGS.names(FrontEnd.CLI)) {
            boolean sentences = name.equals("--top-k") || name.equals("--scope");
            assertTrue(sentences || eval.findOption(name) != null, name + " is an option of lazyattn eval");
            assertNotNull(annotate.findOption(name), name + " is an option of lazyattn annotate");
        }
        ScoringConfig config = SettingOptions.read(eval, FrontEnd.CLI, EvalCommand.defaults());
        assertEquals(ScoringConfig.of("m.lazylm.zip").with(ScoringConfig.ATTENTION_STATS, true), config);
        assertEquals(16, config.batchSize(), "the table's batch");
        assertTrue(String.join(" ", eval.findOption("--attention-stats").description()).endsWith("(default: true)."));
        ScoringConfig given = SettingOptions.read(parsed("eval", "--model", "m", "--no-attention-stats", "--window",
                "48", "--stride", "12", "--batch-size", "2", "--device", "cpu", "t.txt"), FrontEnd.CLI,
                EvalCommand.defaults());
        assertEquals(List.of(false, 48, 12, 2, "cpu"), List.of(given.attentionStats(), given.window(), given.stride(),
                given.batchSize(), given.device()), "--device comes from the shared option, under the table's name");
    }

    @Test
    void earlierFlagsAreAliasesAndProgressHasBothForms() {
        TrainConfig old = train(parsed("train", "--train", "t", "--out", "o", "--lr", "0.01",
                "--context", "48", "--seq-len", "40", "--warmup", "3", "--hidden", "96", "--no-progress"));
        TrainConfig canonical = train(parsed("train", "--train", "t", "--out", "o",
                "--learning-rate", "0.01", "--context-length", "48", "--sequence-length", "40", "--warmup-steps", "3",
                "--hidden-size", "96", "--progress=false"));
        assertEquals(canonical, old);
        assertEquals(0.01f, old.learningRate());
        assertEquals(48, old.contextLength());
        assertFalse(old.resolvedProgress());
        assertTrue(train(parsed("train", "--train", "t", "--out", "o", "--progress")).resolvedProgress());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> train(parsed("train", "--train", "t", "--out", "o", "--progress", "--no-progress")));
        assertTrue(both.getMessage().startsWith("--progress and --no-progress say the same thing and differ"),
                both.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> train(parsed("train", "--train", "t", "--out", "o", "--lr", "fast")));
        assertEquals("--learning-rate=fast: expected a number", bad.getMessage());
    }
}

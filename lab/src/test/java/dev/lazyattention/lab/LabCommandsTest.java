package dev.lazyattention.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.cli.CommandRun;
import dev.lazyattention.cli.Main;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.SettingOptions;
import dev.lazyattention.lab.bench.BenchCommand;
import dev.lazyattention.lab.experiment.ExperimentCommand;
import dev.lazyattention.train.TrainConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code experiment} and {@code bench} on the {@code lazyattn} command line that {@link LabMain} builds: listed
 * after the product's commands, and parsed with the product's rules (closest option, {@code --threads},
 * the settings type's defaults).
 */
class LabCommandsTest {

    private static CommandSpec parsed(String command, String... args) {
        return CommandRun.parsed(Main.commandLine(ExperimentCommand.class, BenchCommand.class), command, args);
    }

    @Test
    void theHelpListsTheProductsCommandsThenTheLabsThenHelp() {
        List<String> product = new ArrayList<>(Main.commandLine().getSubcommands().keySet());
        List<String> lab = new ArrayList<>(Main.commandLine(ExperimentCommand.class, BenchCommand.class)
                .getSubcommands().keySet());
        assertTrue(!product.contains("bench") && !product.contains("experiment"), product.toString());
        List<String> expected = new ArrayList<>(product.subList(0, product.size() - 1));
        expected.addAll(List.of("experiment", "bench", "help"));
        assertEquals(expected, lab);
        CommandRun help = LabRun.of("--help");
        assertEquals(0, help.code(), help.err());
        assertTrue(Pattern.compile("(?m)^\\s+experiment\\s+\\S").matcher(help.out()).find(), help.out());
        assertTrue(Pattern.compile("(?m)^\\s+bench\\s+\\S").matcher(help.out()).find(), help.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"experiment", "bench"})
    void takesThreadsAndRefusesBadCounts(String command) {
        CommandRun help = LabRun.of(command, "--help");
        assertEquals(0, help.code(), help.err());
        assertTrue(help.out().contains("--threads=N"), help.out());
        for (String bad : new String[] {"0", "-3", "two", "1.5"}) {
            CommandRun r = LabRun.of(command, "--threads", bad);
            assertEquals(2, r.code(), command + " --threads " + bad + ": " + r.err());
            String first = r.err().lines().findFirst().orElse("");
            assertTrue(first.startsWith("--threads") && first.contains(bad), first);
        }
    }

    @Test
    void aMisspeltOptionIsRefusedWithTheClosestOne() {
        CommandRun experiment = LabRun.of("experiment", "--out", "o", "--grad-acum", "2");
        assertEquals(2, experiment.code());
        assertTrue(experiment.err().contains("Did you mean --grad-accum?"), experiment.err());
        CommandRun bench = LabRun.of("bench", "--batch-sise", "8");
        assertEquals(2, bench.code());
        assertTrue(bench.err().contains("Did you mean --batch-size?"), bench.err());
    }

    @Test
    void benchRefusesAPhaseItDoesNotHave() {
        CommandRun run = LabRun.of("bench", "--phases", "matmull");
        assertEquals(1, run.code(), run.err());
        assertTrue(run.err().contains("lazyattn bench: ")
                && run.err().contains("unknown phase 'matmull'; did you mean matmul?"), run.err());
    }

    @Test
    void benchRefusesToDecodeWithAContextNoLongerThanItsDecodeSteps() {
        CommandRun run = LabRun.of("bench", "--preset", "tiny", "--phases", "generate");
        assertEquals(1, run.code(), run.err());
        assertTrue(run.err().contains("--phases generate decodes 64 tokens after a prompt, so it needs a context "
                + "longer than that; --preset tiny has 64"), run.err());
    }

    @Test
    void theSettingsStartFromTheSettingsTypesDefaults() {
        CommandSpec experiment = parsed("experiment", "--out", "o");
        assertEquals(TrainConfig.DEFAULTS, SettingOptions.read(experiment, FrontEnd.CLI, TrainConfig.builder()));
        assertNull(experiment.findOption("--attention"), "--variants chooses the attention");
        // Hand-written options of a setting take the settings type's default.
        assertEquals(TrainConfig.PRESET.defaultValue(), parsed("bench").findOption("--preset").defaultValue());
        assertEquals(String.valueOf(TrainConfig.BATCH_SIZE.defaultValue()),
                parsed("bench").findOption("--batch-size").defaultValue());
    }

    @Test
    void optionHelpNamesEveryAcceptedValue() {
        List<String> variants = Arrays.stream(AttentionVariant.values()).map(AttentionVariant::id).toList();
        assertNamesAll(parsed("experiment", "--out", "o").findOption("--variants"), variants);
        assertNamesAll(parsed("experiment", "--out", "o").findOption("--repeat-variants"), variants);
        assertNamesAll(parsed("bench").findOption("--variants"), variants);
        assertNamesAll(parsed("bench").findOption("--phases"), List.of("matmul", "train", "score", "generate",
                "chunked", "corenlp", "leaks", "layer", "threads"));
    }

    private static void assertNamesAll(OptionSpec option, List<String> values) {
        String help = option.paramLabel() + " " + String.join(" ", option.description()) + " " + option.defaultValue();
        for (String value : values) {
            assertTrue(Pattern.compile("(^|[^\\w:])" + Pattern.quote(value) + "($|[^\\w:])").matcher(help).find(),
                    option.longestName() + " does not name " + value + ": " + help);
        }
    }
}

package dev.lazyattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.corenlp.LazyLmTrainer;
import dev.lazyattention.train.TrainingSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The README's "Training settings" table lists exactly the settings type's settings, in its order, with its
 * defaults and meanings and each front end's name for them, so that the table cannot drift from the code.
 * On a mismatch the message holds the table to paste.
 */
class ReadmeTrainingSettingsTableTest {

    static final String HEADER = "| setting | CLI | CoreNLP property | OpenNLP parameter | default | meaning |";

    /** The table as the code defines it. */
    static String expectedTable() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n').append("|---|---|---|---|---|---|\n");
        for (TrainingSettings.Setting<?> s : TrainingSettings.all()) {
            List<String> cli = new ArrayList<>();
            cli.add(SettingOptions.option(s));
            cli.addAll(SettingOptions.ALIASES.getOrDefault(s.name(), List.of()));
            if (s == TrainingSettings.PROGRESS) {
                cli.add(SettingOptions.NO_PROGRESS);
            }
            String openNlp = dev.lazyattention.opennlp.TrainingSettings.parameter(s);
            List<String> openNlpNames = new ArrayList<>();
            if (openNlp != null) {
                openNlpNames.add(openNlp);
                openNlpNames.addAll(dev.lazyattention.opennlp.TrainingSettings.parameterAliases(s));
            }
            sb.append("| ").append(s.name())
                    .append(" | ").append(names(cli))
                    .append(" | ").append(names(List.of(LazyLmTrainer.property(s))))
                    .append(" | ").append(openNlp == null ? "`train`'s language argument" : names(openNlpNames))
                    .append(" | ").append(s.defaultText())
                    .append(" | ").append(s.description())
                    .append(" |\n");
        }
        return sb.toString();
    }

    /** The first name, then the others as earlier names: {@code `--lr`}. */
    private static String names(List<String> names) {
        StringBuilder sb = new StringBuilder("`").append(names.get(0)).append('`');
        if (names.size() > 1) {
            sb.append(" (also ");
            for (int i = 1; i < names.size(); i++) {
                sb.append(i > 1 ? ", " : "").append('`').append(names.get(i)).append('`');
            }
            sb.append(')');
        }
        return sb.toString();
    }

    static Path readme() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("lazyattention-lm"))) {
                return p.resolve("README.md");
            }
        }
        throw new IllegalStateException("README.md of the project not found above " + Path.of("").toAbsolutePath());
    }

    /** The table's lines in the README, header first. */
    static List<String> tableInReadme() throws IOException {
        List<String> lines = Files.readAllLines(readme(), StandardCharsets.UTF_8);
        int start = lines.indexOf(HEADER);
        assertTrue(start >= 0, "README.md has no table starting with " + HEADER + "; expected:\n" + expectedTable());
        List<String> table = new ArrayList<>();
        for (int i = start; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            table.add(lines.get(i));
        }
        return table;
    }

    @Test
    void theTableListsExactlyTheSettingsWithTheirDefaults() throws IOException {
        List<String> rows = tableInReadme().subList(2, tableInReadme().size());
        Pattern row = Pattern.compile("\\| (\\S+) \\| (.*?) \\| (.*?) \\| (.*?) \\| (.*?) \\| (.*?) \\|");
        List<String> names = new ArrayList<>();
        for (String line : rows) {
            Matcher m = row.matcher(line);
            assertTrue(m.matches(), "a table row: " + line);
            TrainingSettings.Setting<?> s = TrainingSettings.named(m.group(1));
            assertNotNull(s, "README lists " + m.group(1) + ", which is no setting");
            names.add(s.name());
            assertEquals(s.defaultText(), m.group(5), "default of " + s.name());
            assertEquals(s.description(), m.group(6), "meaning of " + s.name());
        }
        List<String> expected = TrainingSettings.all().stream().map(TrainingSettings.Setting::name).toList();
        assertEquals(expected, names, "the README lists every setting once, in the settings type's order");
        assertEquals(expectedTable(), String.join("\n", tableInReadme()) + "\n", "README.md's table; paste:\n"
                + expectedTable());
    }

    @Test
    void everyCliNameInTheTableIsAnOptionOfTrain() throws IOException {
        CommandSpec train = new CommandLine(new Main()).getSubcommands().get("train").getCommandSpec();
        Pattern flag = Pattern.compile("`(--[a-z0-9-]+)`");
        int seen = 0;
        for (String line : tableInReadme().subList(2, tableInReadme().size())) {
            String cliCell = line.split(" \\| ")[1];
            Matcher m = flag.matcher(cliCell);
            while (m.find()) {
                assertNotNull(train.findOption(m.group(1)), m.group(1) + " is an option of lazyattn train");
                seen++;
            }
        }
        assertTrue(seen > TrainingSettings.all().size(), "every setting has a CLI name, some also earlier ones");
    }
}

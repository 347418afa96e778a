package dev.lazyattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.engine.DeviceChoice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code lazyattn --help} and every command's help as a user reads them: picocli prints each element of a
 * description as its own line and shows a command's first element alone in the command list, so every
 * element must be whole sentences; and an option's help names every value the option accepts. The lab's
 * tests run the same checks on the command line with its commands ({@link #commandLine}).
 */
public class HelpTextTest {

    /**
     * How a description line may start: a capital, a digit, an option or a quote, or a labelled item of a
     * list ({@code matmul: ...}). A lowercase start is the rest of a sentence cut at the line before.
     */
    private static final Pattern WHOLE_START = Pattern.compile("^([A-Z0-9\"'(<-]|[a-z][a-z0-9_-]*: ).*", Pattern.DOTALL);

    /** The real command line, help and subcommands as {@code lazyattn} builds them. */
    protected CommandLine commandLine() {
        return Main.commandLine();
    }

    private CommandSpec lazyattn() {
        return commandLine().getCommandSpec();
    }

    /** Every command, {@code lazyattn} itself first, in the order the help lists them. */
    private List<CommandSpec> commands() {
        List<CommandSpec> all = new ArrayList<>();
        all.add(lazyattn());
        for (CommandLine sub : all.get(0).subcommands().values()) {
            if (!all.contains(sub.getCommandSpec())) {
                all.add(sub.getCommandSpec());
            }
        }
        return all;
    }

    /**
     * What is wrong with one description, or null: each line is whole sentences, the last ends with a stop. A
     * {@code %n} in an element (picocli's line break) starts a new line; the empty lines it leaves are spacing.
     */
    static String cutDescription(String[] elements) {
        String[] lines = Arrays.stream(elements).flatMap(e -> e.contains("%n")
                ? Arrays.stream(e.split("%n")).filter(l -> !l.isEmpty()) : Arrays.stream(new String[] {e}))
                .toArray(String[]::new);
        if (lines.length == 0) {
            return "has no description";
        }
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank() || !line.equals(line.strip())) {
                return "line " + (i + 1) + " is blank or indented by hand: \"" + line + "\"";
            }
            if (!WHOLE_START.matcher(line).matches()) {
                return "line " + (i + 1) + " starts in the middle of a sentence: \"" + line + "\"";
            }
            boolean last = i == lines.length - 1;
            if (!(line.endsWith(".") || !last && line.endsWith(":"))) {
                return "line " + (i + 1) + " does not end a sentence (picocli prints each line alone): \"" + line + "\"";
            }
        }
        return null;
    }

    @Test
    public void theCheckRefusesADescriptionCutMidSentence() {
        assertEquals(null, cutDescription(new String[] {"Measure speed (numbers, never pass/fail).", "The phases:",
                "matmul: float32 FLOP/s.", "0 for greedy."}));
        assertTrue(cutDescription(new String[] {"Measure speed; numbers, never", "pass/fail."}) != null);
        assertTrue(cutDescription(new String[] {"Serve a page: the model's likely", "next tokens."}) != null);
        assertTrue(cutDescription(new String[] {"A list:"}) != null, "a last line that announces more");
        assertTrue(cutDescription(new String[] {"One.", "  continued by hand."}) != null);
        assertTrue(cutDescription(new String[] {"Runs (default: 3):", "child JVMs per variant,"}) != null);
        assertTrue(cutDescription(new String[0]) != null);
        assertEquals(null, cutDescription(new String[] {"%nWhen no COMMAND is given, the usage help is displayed."}));
    }

    @Test
    public void everyCommandAndOptionDescriptionIsWholeSentences() {
        List<String> problems = new ArrayList<>();
        for (CommandSpec command : commands()) {
            String name = command.qualifiedName();
            String wrong = cutDescription(command.usageMessage().description());
            if (wrong != null) {
                problems.add(name + ": its description " + wrong);
            }
            List<ArgSpec> args = new ArrayList<>(command.options());
            args.addAll(command.positionalParameters());
            for (ArgSpec arg : args) {
                if (arg.hidden()) {
                    continue;
                }
                wrong = cutDescription(arg.description());
                if (wrong != null) {
                    problems.add(name + " " + label(arg) + ": " + wrong);
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    public void theCommandListShowsAWholeSentenceForEveryCommand() {
        CommandLine cli = commandLine();
        cli.setUsageHelpWidth(400);   // one line per command, as it would read unwrapped
        String usage = cli.getUsageMessage(CommandLine.Help.Ansi.OFF);
        String list = usage.substring(usage.indexOf("Commands:") + "Commands:".length()).strip();
        list = list.split("\\R\\s*\\R", 2)[0]; // the footer follows a blank line
        Map<String, String> summaries = new LinkedHashMap<>();
        for (String line : list.split("\\R")) {
            String[] nameAndText = line.strip().split("\\s+", 2);
            summaries.put(nameAndText[0], nameAndText.length > 1 ? nameAndText[1] : "");
        }
        assertEquals(lazyattn().subcommands().keySet(), summaries.keySet(), "the command list:\n" + list);
        List<String> cut = new ArrayList<>();
        summaries.forEach((name, text) -> {
            if (!text.endsWith(".") || !Character.isUpperCase(text.charAt(0))) {
                cut.add(name + ": \"" + text + "\"");
            }
        });
        assertTrue(cut.isEmpty(), "lazyattn --help shows these commands with a cut sentence:\n" + String.join("\n", cut));
    }

    @Test
    public void everyOptionThatTakesAValueNamesIt() {
        List<String> unnamed = new ArrayList<>();
        for (CommandSpec command : commands()) {
            for (OptionSpec option : command.options()) {
                if (!option.hidden() && option.arity().max() > 0 && option.paramLabel().startsWith("<")) {
                    unnamed.add(command.qualifiedName() + " " + option.longestName() + "=" + option.paramLabel());
                }
            }
        }
        assertTrue(unnamed.isEmpty(), "options shown with picocli's field name instead of what they take"
                + " (N, X, FILE, or the forms a|b|c):\n" + String.join("\n", unnamed));
    }

    /**
     * The values the option accepts, from the code that reads them ({@code --device} from the parser's own
     * message), each of which its help must name.
     */
    private static Map<String, List<String>> acceptedForms() {
        Map<String, List<String>> forms = new LinkedHashMap<>();
        forms.put("--device", deviceForms());
        forms.put("--preset", List.of("tiny", "mini", "small", "base"));
        List<String> variants = Arrays.stream(AttentionVariant.values()).map(AttentionVariant::id).toList();
        forms.put("--attention", variants);
        forms.put("--variants", variants);
        forms.put("--scope", List.of("sentence", "document"));
        forms.put("--on-nan", List.of("stop", "skip"));
        return forms;
    }

    /** The forms in DeviceChoice's refusal of a bad device ("expected auto, cpu, gpu or gpu:N"). */
    private static List<String> deviceForms() {
        try {
            DeviceChoice.resolve("tpu", "--device");
        } catch (IllegalArgumentException e) {
            String expected = e.getMessage().substring(e.getMessage().indexOf("expected ") + "expected ".length());
            return List.of(expected.split(", | or "));
        }
        throw new AssertionError("DeviceChoice accepted tpu");
    }

    @Test
    public void optionHelpNamesEveryAcceptedForm() {
        assertTrue(deviceForms().contains("gpu:N"), deviceForms().toString());
        Map<String, List<String>> forms = acceptedForms();
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (CommandSpec command : commands()) {
            for (OptionSpec option : command.options()) {
                List<String> accepted = forms.get(option.longestName());
                if (accepted == null || option.hidden()) {
                    continue;
                }
                checked++;
                String help = option.paramLabel() + " " + String.join(" ", option.description()) + " "
                        + option.defaultValue();
                for (String form : accepted) {
                    if (!Pattern.compile("(^|[^\\w:])" + Pattern.quote(form) + "($|[^\\w:])").matcher(help).find()) {
                        missing.add(command.qualifiedName() + " " + option.longestName() + " does not name " + form
                                + ": " + help);
                    }
                }
            }
        }
        assertTrue(checked >= 15, "only " + checked + " options checked");
        assertTrue(missing.isEmpty(), String.join("\n", missing));
    }

    private static String label(ArgSpec arg) {
        return arg instanceof OptionSpec o ? o.longestName() : arg.paramLabel();
    }
}

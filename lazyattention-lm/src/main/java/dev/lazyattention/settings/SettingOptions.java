package dev.lazyattention.settings;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The command-line options of a table of settings: one option per setting under the names a front end that
 * parses its command line with picocli ({@link FrontEnd#CLI}, {@link FrontEnd#SPARK}) gives it (a switch also
 * as {@code --no-<name>}), with the setting's meaning and default as help
 * text, so that no command retypes a name or a default. The table reads the values; a command may start from
 * other values than the defaults (the demo's), which its help then shows. For applications that parse their
 * command line with picocli, an optional dependency of this library.
 */
public final class SettingOptions {

    private SettingOptions() {}

    /** Every setting of {@code table} but {@code excluded}. */
    public static List<Setting<?>> allBut(SettingTable<?> table, Setting<?>... excluded) {
        List<Setting<?>> list = new ArrayList<>(table.settings());
        list.removeAll(List.of(excluded));
        return list;
    }

    /** Adds an option for each of {@code settings}, whose help shows {@code base}'s value as the default. */
    public static CommandSpec addTo(CommandSpec spec, FrontEnd frontEnd, SettingTable<?>.Builder base,
            Collection<Setting<?>> settings) {
        for (Setting<?> s : settings) {
            Object value = base.get(s);
            boolean required = value == null && s.problem(null) != null;
            String description = Character.toUpperCase(s.meaning().charAt(0)) + s.meaning().substring(1) + (required
                    ? " (required)." : " (default: " + (value == null ? s.defaultText() : Setting.textOf(value)) + ").");
            List<String> names = base.table().names(frontEnd, s);
            OptionSpec.Builder o = OptionSpec.builder(names.toArray(new String[0])).description(description)
                    .required(required);
            spec.addOption(s.isSwitch() ? o.type(Boolean.class).arity("0..1").paramLabel("true|false").build()
                    : o.type(String.class).arity("1").paramLabel(s.label()).build());
            if (s.isSwitch()) {
                spec.addOption(OptionSpec.builder(negation(names.get(0))).type(boolean.class).arity("0")
                        .description("Same as " + names.get(0) + "=false.").build());
            }
        }
        return spec;
    }

    /** Whether the command line gave {@code setting}. */
    public static boolean given(CommandSpec spec, FrontEnd frontEnd, SettingTable<?> table, Setting<?> setting) {
        return matched(spec, table.name(frontEnd, setting)) != null;
    }

    /**
     * The settings: {@code base} with the options given on the command line.
     *
     * @throws IllegalArgumentException naming the option whose value is bad
     */
    public static <C extends Record> C read(CommandSpec spec, FrontEnd frontEnd, SettingTable<C>.Builder base) {
        return base.read(frontEnd, name -> {
            Object yes = matched(spec, name);
            Object no = matched(spec, negation(name));
            if (yes != null && no != null && !yes.equals(false)) {
                throw new IllegalArgumentException(name + " and " + negation(name) + " say the same thing and differ ("
                        + yes + ", false); give one of them");
            }
            return no != null ? false : yes;
        }).build(frontEnd);
    }

    /** The value of the option named {@code name} ({@code true} for a bare switch), or null when not given. */
    private static Object matched(CommandSpec spec, String name) {
        ParseResult parsed = spec.commandLine().getParseResult();
        OptionSpec o = spec.findOption(name);
        if (o == null || !parsed.hasMatchedOption(o)) {
            return null;
        }
        return o.getValue() == null ? true : o.getValue();
    }

    private static String negation(String option) {
        return "--no-" + option.substring(2);
    }
}

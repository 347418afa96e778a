package dev.lazyattention.cli;

import dev.lazyattention.train.Setting;
import dev.lazyattention.train.SettingBinder;
import dev.lazyattention.train.SettingBinder.FrontEnd;
import dev.lazyattention.train.TrainConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The command-line options of the training settings, made from {@link TrainConfig#SETTINGS}: one option per
 * setting under the names {@link FrontEnd#CLI} gives it, with the setting's meaning and default as help text,
 * so that no command retypes a name or a default. {@link SettingBinder} reads the values; a command may start
 * from other values than the defaults (the demo's), which its help then shows.
 */
public final class SettingOptions {

    private SettingOptions() {}

    /** Every setting but {@code excluded}. */
    public static List<Setting<?>> allBut(Setting<?>... excluded) {
        List<Setting<?>> list = new ArrayList<>(TrainConfig.SETTINGS);
        list.removeAll(List.of(excluded));
        return list;
    }

    /** Adds an option for each of {@code settings}, whose help shows {@code base}'s value as the default. */
    public static CommandSpec addTo(CommandSpec spec, TrainConfig base, Collection<Setting<?>> settings) {
        for (Setting<?> s : settings) {
            Object value = s.get(base);
            String description = Character.toUpperCase(s.meaning().charAt(0)) + s.meaning().substring(1)
                    + " (default: " + (value == null ? s.defaultText() : s.text(value)) + ").";
            OptionSpec.Builder o = OptionSpec.builder(s.cliNames().toArray(new String[0])).description(description);
            if (s.isSwitch()) {
                o.type(Boolean.class).arity("0..1").paramLabel("true|false");
            } else {
                o.type(String.class).arity("1").paramLabel(s.label());
            }
            spec.addOption(o.build());
            if (s == TrainConfig.PROGRESS) {
                spec.addOption(OptionSpec.builder(SettingBinder.NO_PROGRESS).type(boolean.class).arity("0")
                        .description("No progress bar: --progress=false.").build());
            }
        }
        return spec;
    }

    /** Whether the command line gave {@code setting}. */
    public static boolean given(CommandSpec spec, Setting<?> setting) {
        OptionSpec o = spec.findOption(setting.cliOption());
        return o != null && spec.commandLine().getParseResult().hasMatchedOption(o);
    }

    /**
     * The settings: {@code base} with the options given on the command line.
     *
     * @throws IllegalArgumentException naming the option whose value is bad
     */
    public static TrainConfig read(CommandSpec spec, TrainConfig base) {
        ParseResult parsed = spec.commandLine().getParseResult();
        return SettingBinder.bind(base, FrontEnd.CLI, name -> {
            OptionSpec o = spec.findOption(name);
            if (o == null || !parsed.hasMatchedOption(o)) {
                return null; // an alias finds its option, whose value then counts once under its first name
            }
            return name.equals(SettingBinder.NO_PROGRESS) ? false : o.getValue() == null ? true : o.getValue();
        });
    }
}

package dev.lazyattention.cli;

import dev.lazyattention.train.TrainingSettings;
import dev.lazyattention.train.TrainingSettings.Setting;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The command-line options of the training recipe's settings, made from {@link TrainingSettings#all()}: one
 * {@code --kebab-case} option per setting, with the setting's meaning and default as help text, so that no
 * command retypes a name or a default. Values reach the settings as text, checked by the settings type; a
 * command may start from other values than the defaults (the demo's), which its help then shows.
 */
public final class SettingOptions {

    /** Further flags accepted for a setting, by canonical setting name. */
    static final Map<String, List<String>> ALIASES = Map.of(
            "contextLength", List.of("--context"),
            "hiddenSize", List.of("--hidden"),
            "learningRate", List.of("--lr"),
            "sequenceLength", List.of("--seq-len"),
            "warmupSteps", List.of("--warmup"));

    /** Shorthand for {@code --progress=false}; giving both is refused as a contradiction. */
    static final String NO_PROGRESS = "--no-progress";

    private SettingOptions() {}

    /** {@code --kebab-case} of a canonical name. */
    static String option(Setting<?> setting) {
        return "--" + setting.name().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** Every setting, for {@code train}. */
    static List<Setting<?>> all() {
        return TrainingSettings.all();
    }

    /** Every setting but {@code excluded}. */
    public static List<Setting<?>> allBut(Setting<?>... excluded) {
        List<Setting<?>> list = new ArrayList<>(TrainingSettings.all());
        list.removeAll(List.of(excluded));
        return list;
    }

    /** Adds an option for each of {@code settings}, whose help shows {@code base}'s value as the default. */
    public static CommandSpec addTo(CommandSpec spec, TrainingSettings base, Collection<Setting<?>> settings) {
        for (Setting<?> s : settings) {
            List<String> names = new ArrayList<>();
            names.add(option(s));
            names.addAll(ALIASES.getOrDefault(s.name(), List.of()));
            String description = capitalized(s.description()) + " (default: " + defaultText(base, s) + ").";
            OptionSpec.Builder o = OptionSpec.builder(names.toArray(new String[0])).description(description);
            if (s.isSwitch()) {
                o.type(Boolean.class).arity("0..1").paramLabel("true|false");
            } else {
                o.type(String.class).arity("1").paramLabel(s.valueLabel());
            }
            spec.addOption(o.build());
            if (s == TrainingSettings.PROGRESS) {
                spec.addOption(OptionSpec.builder(NO_PROGRESS).type(boolean.class).arity("0")
                        .description("No progress bar: --progress=false.").build());
            }
        }
        return spec;
    }

    private static String capitalized(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    private static <T> String defaultText(TrainingSettings base, Setting<T> s) {
        return base.isSet(s) ? s.format(base.get(s)) : s.defaultText();
    }

    /**
     * The settings: {@code base} with the options given on the command line.
     *
     * @throws IllegalArgumentException naming the option whose value is bad
     */
    public static TrainingSettings read(CommandSpec spec, TrainingSettings base) {
        ParseResult parsed = spec.commandLine().getParseResult();
        TrainingSettings.Builder b = base.toBuilder();
        for (Setting<?> s : TrainingSettings.all()) {
            OptionSpec o = spec.findOption(option(s));
            if (o != null && parsed.hasMatchedOption(o)) {
                Object value = o.getValue();
                b.optText(s.name(), value == null ? "true" : value.toString(), option(s));
            }
        }
        OptionSpec noProgress = spec.findOption(NO_PROGRESS);
        if (noProgress != null && parsed.hasMatchedOption(noProgress)) {
            if (parsed.hasMatchedOption(option(TrainingSettings.PROGRESS))) {
                throw new IllegalArgumentException(NO_PROGRESS + " and " + option(TrainingSettings.PROGRESS)
                        + " contradict each other; give one of them");
            }
            b.optProgress(false);
        }
        return b.build(name -> option(TrainingSettings.named(name)));
    }
}

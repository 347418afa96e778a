package dev.lazyattention.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * One setting of {@link TrainConfig}: its record component ({@code name}), the key the front ends spell it by
 * ({@code key}: the CLI writes it {@code --kebab-case}, CoreNLP {@code lazylm.train.<key>}, OpenNLP {@code
 * lazylm.<key>}), the kind of value, its default and its meaning. {@link TrainConfig#SETTINGS} lists them all;
 * {@link SettingBinder} reads each front end's values through them.
 *
 * @param <T> the value type
 * @param defaultValue the default, or null when it is computed ({@code defaultText} says how)
 * @param check the problem with a value, as text to follow the key (" must be >= 1, got 0"), or null
 * @param cliAliases further command-line flags of this setting
 */
public record Setting<T>(String name, String key, String label, Class<T> type, T defaultValue, String defaultText,
        String meaning, Function<String, T> parser, Function<T, String> check, Function<T, String> format,
        Function<TrainConfig, T> getter, List<String> cliAliases) {

    /** The value in {@code config}. */
    public T get(TrainConfig config) {
        return getter.apply(config);
    }

    /** Whether the value is true or false (a switch on a command line). */
    public boolean isSwitch() {
        return type == Boolean.class;
    }

    /** The default as help text and docs/settings.md show it: a value, or the rule that computes it. */
    @Override
    public String defaultText() {
        return defaultValue == null ? defaultText : format.apply(defaultValue);
    }

    /** The value as text, the way {@link #parse} reads it back. */
    public String text(Object value) {
        return format.apply(type.cast(value));
    }

    /** The command-line option, {@code --kebab-case} of the key. */
    public String cliOption() {
        return "--" + key.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** The command-line option and its aliases. */
    public List<String> cliNames() {
        List<String> names = new ArrayList<>(List.of(cliOption()));
        names.addAll(cliAliases);
        return names;
    }

    /**
     * Reads a value given as text (surrounding blanks ignored) and checks it.
     *
     * @param source the front end's name for this setting, for the message
     * @throws IllegalArgumentException naming {@code source} and the value
     */
    public T parse(String text, String source) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException(source + " is empty; leave it out for the default");
        }
        T value;
        try {
            value = parser.apply(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + "=" + t + ": " + e.getMessage(), e);
        }
        String problem = problem(value);
        if (problem != null) {
            throw new IllegalArgumentException(source + problem);
        }
        return value;
    }

    /** What is wrong with {@code value} (as text to follow the key), or null; null is fine for a computed default. */
    String problem(Object value) {
        if (value == null) {
            return defaultValue == null ? null : " must not be null";
        }
        if (!type.isInstance(value)) {
            return " must be a " + type.getSimpleName() + ", got " + value;
        }
        return check.apply(type.cast(value));
    }

    @Override
    public String toString() {
        return key;
    }

    // ---------------------------------------------------------------- kinds of setting

    static <T> Setting<T> of(String name, String key, String label, Class<T> type, T defaultValue, String computed,
            String meaning, Function<String, T> parser, Function<T, String> format, Function<TrainConfig, T> getter,
            String... cliAliases) {
        return new Setting<>(name, key, label, type, defaultValue, computed, meaning, parser, v -> null, format,
                getter, List.of(cliAliases));
    }

    /** A whole number in {@code [min, max]}. */
    static Setting<Integer> whole(String name, String key, Integer defaultValue, String computed, String meaning,
            int min, int max, Function<TrainConfig, Integer> getter, String... cliAliases) {
        return new Setting<>(name, key, "N", Integer.class, defaultValue, computed, meaning, t -> {
            try {
                return Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected a whole number");
            }
        }, v -> v < min ? " must be >= " + min + ", got " + v : v > max ? " must be <= " + max + ", got " + v : null,
                String::valueOf, getter, List.of(cliAliases));
    }

    /** A finite number above 0 (or from 0 when {@code zeroAllowed}) and below {@code below}. */
    static Setting<Float> number(String name, Float defaultValue, String computed, String meaning, boolean zeroAllowed,
            float below, Function<TrainConfig, Float> getter, String... cliAliases) {
        return new Setting<>(name, name, "X", Float.class, defaultValue, computed, meaning, t -> {
            try {
                return Float.parseFloat(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected a number");
            }
        }, v -> {
            boolean low = zeroAllowed ? !(v >= 0) : !(v > 0);
            return low || !(v < below) || Float.isInfinite(v) ? " must be a finite number "
                    + (zeroAllowed ? ">= 0" : "> 0") + (below < Float.POSITIVE_INFINITY ? " and < "
                    + formatFloat(below) : "") + ", got " + v : null;
        }, Setting::formatFloat, getter, List.of(cliAliases));
    }

    static Setting<Boolean> truth(String name, Boolean defaultValue, String computed, String meaning,
            Function<TrainConfig, Boolean> getter) {
        return of(name, name, "true|false", Boolean.class, defaultValue, computed, meaning,
                t -> switch (t.toLowerCase(Locale.ROOT)) {
                    case "true" -> true;
                    case "false" -> false;
                    default -> throw new IllegalArgumentException("expected true or false");
                }, String::valueOf, getter);
    }

    /** {@code 0.001}, {@code 1e-8}: short and readable back by {@link Float#parseFloat}. */
    static String formatFloat(float v) {
        String s = Float.toString(v);
        return s.contains("E") ? s.replace(".0E", "e").replace("E", "e") : s;
    }
}

package dev.lazyattention.settings;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One setting of a configuration record: the record component it fills ({@code name}), the key front ends
 * spell their names from ({@link SettingTable} says how), its type, default, rule and meaning. Text is read by
 * the type: a whole or decimal number, {@code true|false}, an enum constant in any case, or a string.
 * Declared with {@link #of} and refined with the copies below, so a table reads one line per setting.
 *
 * @param label what a value looks like in help text ({@code N}, {@code tiny|mini|small|base})
 * @param defaultValue the default; null when the record computes one ({@code defaultText} says how) or when
 *     the setting is required (a primitive component, or a check that refuses null)
 * @param check what is wrong with a non-null value, as text to follow the name (" must be >= 1, got 0"), or null
 * @param names a front end's own names where the table's spelling does not apply: the first its own, the
 *     others accepted alike; none where that front end does not take the setting
 */
public record Setting<T>(String name, String key, String label, Class<T> type, T defaultValue, String defaultText,
        String meaning, Function<T, String> check, Map<FrontEnd, List<String>> names) {

    public Setting {
        names = Map.copyOf(names);
    }

    /** A setting whose component and key are both {@code key}, with no rule beyond its type. */
    public static <T> Setting<T> of(String key, Class<T> type, T defaultValue, String meaning) {
        String label = type == Integer.class || type == Long.class ? "N" : type == Float.class || type == Double.class
                ? "X" : type == Boolean.class ? "true|false" : type.isEnum() ? Arrays.stream(type.getEnumConstants())
                .map(Setting::textOf).collect(Collectors.joining("|")) : "TEXT";
        return new Setting<>(key, key, label, type, defaultValue, null, meaning, v -> null, Map.of());
    }

    /** A whole number in {@code [min, max]}. */
    public static Setting<Integer> whole(String key, Integer defaultValue, int min, int max, String meaning) {
        return of(key, Integer.class, defaultValue, meaning).checked(v -> v < min ? " must be >= " + min + ", got " + v
                : v > max ? " must be <= " + max + ", got " + v : null);
    }

    /** A finite number above 0 (or from 0 when {@code zeroAllowed}) and below {@code below}. */
    public static Setting<Float> number(String key, Float defaultValue, boolean zeroAllowed, float below,
            String meaning) {
        return of(key, Float.class, defaultValue, meaning).checked(v -> (zeroAllowed ? v >= 0 : v > 0) && v < below
                && Float.isFinite(v) ? null : " must be a finite number " + (zeroAllowed ? ">= 0" : "> 0")
                + (below < Float.POSITIVE_INFINITY ? " and < " + textOf(below) : "") + ", got " + v);
    }

    /** The same setting filling the record component {@code component}. */
    public Setting<T> named(String component) {
        return new Setting<>(component, key, label, type, defaultValue, defaultText, meaning, check, names);
    }

    /** The same setting whose default the record computes, as {@code rule} says. */
    public Setting<T> computed(String rule) {
        return new Setting<>(name, key, label, type, null, rule, meaning, check, names);
    }

    /** The same setting with {@code rule} as well (checked after any rule it has). */
    public Setting<T> checked(Function<T, String> rule) {
        Function<T, String> before = check;
        return new Setting<>(name, key, label, type, defaultValue, defaultText, meaning, v -> {
            String problem = before.apply(v);
            return problem != null ? problem : rule.apply(v);
        }, names);
    }

    public Setting<T> labelled(String valueLabel) {
        return new Setting<>(name, key, valueLabel, type, defaultValue, defaultText, meaning, check, names);
    }

    /** The same setting under {@code frontEnd}'s own names (none: that front end does not take it). */
    public Setting<T> as(FrontEnd frontEnd, String... frontEndNames) {
        Map<FrontEnd, List<String>> all = new EnumMap<>(FrontEnd.class);
        all.putAll(names);
        all.put(frontEnd, List.of(frontEndNames));
        return new Setting<>(name, key, label, type, defaultValue, defaultText, meaning, check, all);
    }

    /** The same setting for {@code frontEnd} alone. */
    public Setting<T> only(FrontEnd frontEnd) {
        Setting<T> s = this;
        for (FrontEnd other : FrontEnd.values()) {
            s = other == frontEnd ? s : s.as(other);
        }
        return s;
    }

    /** Whether the value is true or false (a switch on a command line). */
    public boolean isSwitch() {
        return type == Boolean.class;
    }

    /** The default as help text and the settings page show it: a value, the rule that computes it, or "required". */
    @Override
    public String defaultText() {
        return defaultValue != null ? textOf(defaultValue) : defaultText != null ? defaultText : "required";
    }

    /** A value as text, the way {@link #parse} reads it back: {@code 1e-8}, {@code off_by_one}. */
    public static String textOf(Object value) {
        if (value instanceof Float || value instanceof Double) {
            String s = value.toString();
            return s.contains("E") ? s.replace(".0E", "e").replace("E", "e") : s;
        }
        return value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : String.valueOf(value);
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
            value = type.cast(read(t));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + "=" + t + ": " + e.getMessage(), e);
        }
        String problem = problem(value);
        if (problem != null) {
            throw new IllegalArgumentException(source + problem);
        }
        return value;
    }

    private Object read(String t) {
        try {
            if (type == Integer.class) { // one type per branch: a ?: of two would promote Integer to Long
                return Integer.valueOf(t);
            } else if (type == Long.class) {
                return Long.valueOf(t);
            } else if (type == Float.class) {
                return Float.valueOf(t);
            } else if (type == Double.class) {
                return Double.valueOf(t);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(label.equals("N") ? "expected a whole number" : "expected a number");
        }
        if (type == Boolean.class || type.isEnum()) {
            for (Object v : type == Boolean.class ? new Object[] {true, false} : type.getEnumConstants()) {
                if (textOf(v).equals(t.toLowerCase(Locale.ROOT).replace('-', '_'))) {
                    return v;
                }
            }
            String[] choices = label.split("\\|");
            throw new IllegalArgumentException("expected " + (choices.length == 2 ? choices[0] + " or " + choices[1]
                    : "one of " + String.join(", ", choices)));
        }
        return t;
    }

    /** What is wrong with {@code value} (as text to follow the name), or null; null is fine unless required. */
    public String problem(Object value) {
        if (value == null) {
            return defaultValue == null && defaultText != null ? null : " must be given: " + meaning;
        }
        if (!type.isInstance(value)) {
            return " must be " + type.getSimpleName() + ", got " + value;
        }
        return check.apply(type.cast(value));
    }

    @Override
    public String toString() {
        return key;
    }
}

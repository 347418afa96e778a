package dev.lazyattention.settings;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.lazyattention.names.ClosestName;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The settings of one configuration record, in the order of its components, and how each front end spells
 * their keys. It builds the record from values set by setting ({@link Builder}), reads a front end's values
 * under that front end's names with the same parsing, checks and defaults for all ({@link Builder#read}),
 * writes and strictly reads the record as JSON, and draws the table of every setting's names for the docs.
 * Written here because no library binds one typed setting to command-line options, CoreNLP properties,
 * OpenNLP parameters and JSON at once (picocli parses the options, Gson the JSON text).
 *
 * @param <C> the configuration record
 */
public final class SettingTable<C extends Record> implements Iterable<Setting<?>> {

    private final List<Setting<?>> settings;
    private final Map<FrontEnd, UnaryOperator<String>> spellings;
    private final Constructor<C> constructor;
    private final Method[] accessors;
    private final boolean[] primitive;

    /**
     * @param spellings how a front end spells a key ({@link #kebab} for options); a front end missing here takes
     *     only the settings that name themselves for it
     * @throws IllegalStateException if the settings are not the record's components, in order
     */
    public SettingTable(Class<C> type, Map<FrontEnd, UnaryOperator<String>> spellings, List<Setting<?>> settings) {
        RecordComponent[] components = type.getRecordComponents();
        List<String> names = Arrays.stream(components).map(RecordComponent::getName).toList();
        if (!names.equals(settings.stream().map(Setting::name).toList())) {
            throw new IllegalStateException(type.getSimpleName() + "'s settings are not its components " + names);
        }
        this.settings = List.copyOf(settings);
        this.spellings = Map.copyOf(spellings);
        try {
            constructor = type.getDeclaredConstructor(
                    Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        accessors = Arrays.stream(components).map(RecordComponent::getAccessor).toArray(Method[]::new);
        primitive = new boolean[components.length];
        for (int i = 0; i < components.length; i++) {
            primitive[i] = components[i].getType().isPrimitive();
        }
    }

    /** {@code --learning-rate} of {@code learningRate}. */
    public static String kebab(String key) {
        return "--" + key.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    public List<Setting<?>> settings() {
        return settings;
    }

    /** The settings {@code frontEnd} takes. */
    public List<Setting<?>> settings(FrontEnd frontEnd) {
        return settings.stream().filter(s -> !names(frontEnd, s).isEmpty()).toList();
    }

    @Override
    public Iterator<Setting<?>> iterator() {
        return settings.iterator();
    }

    /** {@code frontEnd}'s names for {@code s}: the first its own, the others accepted alike; none if it takes none. */
    public List<String> names(FrontEnd frontEnd, Setting<?> s) {
        List<String> own = s.names().get(frontEnd);
        return own != null ? own : spellings.containsKey(frontEnd)
                ? List.of(spellings.get(frontEnd).apply(s.key())) : List.of();
    }

    /** {@code frontEnd}'s own name for {@code s}, as messages use it; the key where the front end has none. */
    public String name(FrontEnd frontEnd, Setting<?> s) {
        List<String> names = frontEnd == null ? List.of() : names(frontEnd, s);
        return names.isEmpty() ? s.key() : names.get(0);
    }

    /** Every name {@code frontEnd} reads. */
    public List<String> names(FrontEnd frontEnd) {
        return settings.stream().flatMap(s -> names(frontEnd, s).stream()).toList();
    }

    /** The value of {@code s} in {@code config}. */
    public <T> T get(C config, Setting<T> s) {
        try {
            return s.type().cast(accessors[indexOf(s)].invoke(config));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Checks a record's component values in order, as its compact constructor receives them.
     *
     * @throws InvalidSetting for the first value that breaks its setting's rule
     */
    public void check(Object... values) {
        for (int i = 0; i < values.length; i++) {
            String problem = settings.get(i).problem(values[i]);
            if (problem != null) {
                throw new InvalidSetting(settings.get(i), problem);
            }
        }
    }

    /** A builder holding every default. */
    public Builder builder() {
        Builder b = new Builder();
        for (int i = 0; i < settings.size(); i++) {
            b.values[i] = settings.get(i).defaultValue();
        }
        return b;
    }

    /** A builder holding {@code from}'s values. */
    public Builder builder(C from) {
        Builder b = new Builder();
        for (int i = 0; i < settings.size(); i++) {
            b.values[i] = get(from, settings.get(i));
        }
        return b;
    }

    /**
     * {@code base} with the values a front end was given.
     *
     * @throws IllegalArgumentException naming the front end's name of the first bad value
     */
    public C bind(C base, FrontEnd frontEnd, Function<String, Object> given) {
        return builder(base).read(frontEnd, given).build(frontEnd);
    }

    /** The record as a JSON object, each setting under its component's name; nulls left out. */
    public JsonObject toJson(C config) {
        JsonObject o = new JsonObject();
        for (Setting<?> s : settings) {
            Object v = get(config, s);
            if (v instanceof Number n) {
                o.addProperty(s.name(), n);
            } else if (v instanceof Boolean b) {
                o.addProperty(s.name(), b);
            } else if (v != null) {
                o.addProperty(s.name(), Setting.textOf(v));
            }
        }
        return o;
    }

    /**
     * Reads {@link #toJson}'s form strictly: a number only for a number (no 2.5 for a whole one), true or false
     * only for a switch, text for the rest; a missing field takes its default.
     *
     * @param source names the file in messages
     * @throws IllegalArgumentException naming the source and the field: unknown (with the closest name), of the
     *     wrong kind, or a bad value
     */
    public C fromJson(JsonObject o, String source) {
        Builder b = builder();
        List<String> names = settings.stream().map(Setting::name).toList();
        for (Map.Entry<String, JsonElement> field : o.entrySet()) {
            int i = names.indexOf(field.getKey());
            if (i < 0) {
                throw new IllegalArgumentException(source + ": field '" + field.getKey()
                        + "' is unknown; did you mean '" + ClosestName.closest(field.getKey(), names) + "'?");
            }
            b.values[i] = field.getValue().isJsonNull() ? null : value(settings.get(i), field.getValue(), source);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static Object value(Setting<?> s, JsonElement e, String source) {
        Class<?> t = s.type();
        boolean number = Number.class.isAssignableFrom(t);
        JsonPrimitive p = e.isJsonPrimitive() ? e.getAsJsonPrimitive() : null;
        String field = source + ": field '" + s.name() + "'";
        if (p == null || (s.isSwitch() ? !p.isBoolean() : number ? !p.isNumber() : !p.isString())) {
            throw new IllegalArgumentException(field + " must be " + (s.isSwitch() ? "true or false" : number
                    ? "a number" : "text") + ", got " + e);
        }
        try {
            if (t == Integer.class) { // one type per branch: a ?: of two would promote Integer to Long
                return p.getAsBigDecimal().intValueExact();
            } else if (t == Long.class) {
                return p.getAsBigDecimal().longValueExact();
            } else if (t == Float.class) {
                return p.getAsFloat();
            } else if (t == Double.class) {
                return p.getAsDouble();
            }
            return s.isSwitch() ? p.getAsBoolean() : s.parse(p.getAsString(), field);
        } catch (ArithmeticException x) {
            throw new IllegalArgumentException(field + " must be a whole number, got " + e, x);
        }
    }

    /** The table of every setting: its key, component, each front end's names, default and meaning. */
    public String markdownTable() {
        List<FrontEnd> columns = Arrays.stream(FrontEnd.values())
                .filter(f -> settings.stream().anyMatch(s -> !names(f, s).isEmpty())).toList();
        StringBuilder sb = new StringBuilder("| setting | record component |");
        columns.forEach(f -> sb.append(' ').append(f.title()).append(" |"));
        sb.append(" default | meaning |\n|").append("---|".repeat(columns.size() + 4)).append('\n');
        for (Setting<?> s : settings) {
            sb.append("| ").append(s.key()).append(" | `").append(s.name()).append("` |");
            for (FrontEnd f : columns) {
                List<String> names = names(f, s);
                sb.append(' ').append(names.isEmpty() ? "-" : "`" + String.join("` (also `", names)
                        + (names.size() > 1 ? "`)" : "`")).append(" |");
            }
            sb.append(' ').append(s.defaultText()).append(" | ").append(s.meaning()).append(" |\n");
        }
        return sb.toString();
    }

    private int indexOf(Setting<?> s) {
        int i = settings.indexOf(s);
        if (i < 0) {
            throw new IllegalArgumentException(s.key() + " is not a setting of this table");
        }
        return i;
    }

    /** Values by setting, checked together by {@link #build}. */
    public final class Builder {
        private final Object[] values = new Object[settings.size()];

        private Builder() {}

        /** The table whose settings this builder holds. */
        public SettingTable<C> table() {
            return SettingTable.this;
        }

        /** Sets one value; null gives a setting with a computed default that default again. */
        public <T> Builder set(Setting<T> setting, T value) {
            values[indexOf(setting)] = value;
            return this;
        }

        public <T> T get(Setting<T> setting) {
            return setting.type().cast(values[indexOf(setting)]);
        }

        /**
         * Reads the values a front end was given under its names.
         *
         * @param given the value given under a name ({@code true} for a bare switch), or null where none was
         * @throws IllegalArgumentException naming the first bad value, or the names that give one setting two
         *     different values
         */
        public Builder read(FrontEnd frontEnd, Function<String, Object> given) {
            for (int i = 0; i < settings.size(); i++) {
                Map<String, String> found = new LinkedHashMap<>();
                for (String name : names(frontEnd, settings.get(i))) {
                    Object value = given.apply(name);
                    if (value != null) {
                        found.put(name, value.toString().trim());
                    }
                }
                if (found.values().stream().distinct().count() > 1) {
                    throw new IllegalArgumentException(String.join(" and ", found.keySet()) + " say the same thing "
                            + "and differ (" + String.join(", ", found.values()) + "); give one of them");
                }
                if (!found.isEmpty()) {
                    Map.Entry<String, String> first = found.entrySet().iterator().next();
                    values[i] = settings.get(i).parse(first.getValue(), first.getKey());
                }
            }
            return this;
        }

        /** @throws IllegalArgumentException naming the first bad setting by its key */
        public C build() {
            return build(null);
        }

        /**
         * Builds the record, whose compact constructor checks the values ({@link SettingTable#check}).
         *
         * @throws IllegalArgumentException naming the first bad setting as {@code frontEnd} does
         */
        public C build(FrontEnd frontEnd) {
            try {
                for (int i = 0; i < values.length; i++) {
                    if (values[i] == null && primitive[i]) {
                        check(values); // here, not in the constructor: reflection cannot pass null as a primitive
                    }
                }
                return constructor.newInstance(values);
            } catch (InvalidSetting e) {
                throw renamed(e, frontEnd);
            } catch (InvocationTargetException e) {
                throw e.getCause() instanceof InvalidSetting i ? renamed(i, frontEnd)
                        : e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        private IllegalArgumentException renamed(InvalidSetting e, FrontEnd frontEnd) {
            return frontEnd == null ? e : new IllegalArgumentException(name(frontEnd, e.setting()) + e.problem(), e);
        }
    }
}

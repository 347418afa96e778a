package dev.lazyattention.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import java.util.Map;

/** Checks that every front end reads every setting of a table under each of its names. */
public final class FrontEndReading {

    private FrontEndReading() {}

    /**
     * Gives each name of each front end alone a value other than {@code base}'s, and checks that the setting
     * reads it and nothing else changes.
     *
     * @param given for each setting's key: the text a front end gets, and the value it means
     * @return how many names were read
     */
    public static <C extends Record> int eachNameAlone(SettingTable<C> table, C base, Map<String, List<Object>> given) {
        assertEquals(table.settings().size(), given.size(), "a value for every setting");
        int read = 0;
        for (FrontEnd frontEnd : FrontEnd.values()) {
            for (Setting<?> s : table) {
                List<Object> value = given.get(s.key());
                assertNotEquals(value.get(1), table.get(base, s), s + ": a value other than the default");
                for (String name : table.names(frontEnd, s)) {
                    C config = table.bind(base, frontEnd, n -> n.equals(name) ? value.get(0) : null);
                    assertEquals(value.get(1), table.get(config, s), frontEnd + " " + name);
                    assertEquals(base, restored(table, config, s, base), frontEnd + " " + name + " alone");
                    read++;
                }
            }
        }
        return read;
    }

    private static <C extends Record, T> C restored(SettingTable<C> table, C config, Setting<T> s, C base) {
        return table.builder(config).set(s, table.get(base, s)).build();
    }
}

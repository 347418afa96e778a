package dev.lazyattention.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A setting reads text by its type, checks it, and writes it back the way it reads it. */
class SettingTest {

    enum Mode { FAST_AND_LOOSE, SAFE }

    @Test
    void eachTypeReadsItsTextAndWritesItBack() {
        Map<Setting<?>, List<Object>> cases = Map.of(
                Setting.of("n", Integer.class, 1, "m"), List.of(" -7 ", -7, "-7"),
                Setting.of("n", Long.class, 1L, "m"), List.of("12345678901", 12345678901L, "12345678901"),
                Setting.of("x", Float.class, 1f, "m"), List.of("1e-8", 1e-8f, "1e-8"),
                Setting.of("x", Double.class, 1.0, "m"), List.of("0.25", 0.25, "0.25"),
                Setting.of("b", Boolean.class, false, "m"), List.of("TRUE", true, "true"),
                Setting.of("e", Mode.class, Mode.SAFE, "m"), List.of("Fast-And-Loose", Mode.FAST_AND_LOOSE,
                        "fast_and_loose"),
                Setting.of("s", String.class, "a", "m"), List.of(" de ", "de", "de"));
        cases.forEach((s, c) -> {
            Object value = s.parse((String) c.get(0), "--" + s.key());
            assertEquals(c.get(1), value, s.type().getSimpleName());
            assertEquals(s.type(), value.getClass());
            assertEquals(c.get(2), Setting.textOf(value));
            assertEquals(value, s.parse(Setting.textOf(value), "again"));
        });
    }

    @Test
    void badTextIsRefusedNamingTheSourceAndWhatWasExpected() {
        assertEquals("--n=1.5: expected a whole number", refused(Setting.of("n", Integer.class, 1, "m"), "1.5"));
        assertEquals("--n=3000000000: expected a whole number",
                refused(Setting.of("n", Integer.class, 1, "m"), "3000000000"));
        assertEquals("--x=fast: expected a number", refused(Setting.of("x", Double.class, 1.0, "m"), "fast"));
        assertEquals("--b=yes: expected true or false", refused(Setting.of("b", Boolean.class, false, "m"), "yes"));
        assertEquals("--e=slow: expected fast_and_loose or safe", refused(Setting.of("e", Mode.class, null, "m"),
                "slow"));
        assertEquals("--n must be >= 2, got 1", refused(Setting.whole("n", 2, 2, 9, "m"), "1"));
        assertEquals("--x must be a finite number > 0 and < 1.0, got 1.0",
                refused(Setting.number("x", 0.5f, false, 1f, "m"), "1"));
        assertEquals("--x must be a finite number >= 0, got Infinity",
                refused(Setting.number("x", 0f, true, Float.POSITIVE_INFINITY, "m"), "Infinity"));
        assertEquals("--s is empty; leave it out for the default", refused(Setting.of("s", String.class, "a", "m"),
                " "));
    }

    private static String refused(Setting<?> s, String text) {
        return assertThrows(IllegalArgumentException.class, () -> s.parse(text, "--" + s.key())).getMessage();
    }

    @Test
    void nullIsAComputedDefaultOrAMissingRequiredValue() {
        assertNull(Setting.whole("n", null, 1, 9, "m").computed("the preset's").problem(null));
        assertEquals(" must be given: the model", Setting.of("model", String.class, null, "the model").problem(null));
        assertEquals(" must be given: m", Setting.whole("n", 3, 1, 9, "m").problem(null));
        assertEquals(" must be Integer, got x", Setting.whole("n", 3, 1, 9, "m").problem("x"));
    }

    @Test
    void aFrontEndsOwnNamesReplaceTheTablesSpelling() {
        Setting<Integer> s = Setting.whole("window", null, 2, 9, "m").computed("c").as(FrontEnd.CORENLP, "lazylm.max")
                .only(FrontEnd.CORENLP);
        assertEquals(Map.of(FrontEnd.CORENLP, List.of("lazylm.max"), FrontEnd.CLI, List.of(),
                FrontEnd.OPENNLP, List.of(), FrontEnd.SPARK, List.of()), s.names());
    }
}

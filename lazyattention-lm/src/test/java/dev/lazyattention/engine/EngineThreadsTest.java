package dev.lazyattention.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.engine.EngineThreads.Decision;
import dev.lazyattention.engine.EngineThreads.Source;
import org.junit.jupiter.api.Test;

/** The rule and the decisions of {@link EngineThreads}, without touching this JVM's engine or properties. */
class EngineThreadsTest {

    @Test
    void theDefaultNeverOversubscribesTheCores() {
        for (int cores : new int[] {1, 2, 3, 4, 6, 8, 12, 16, 64, 96}) {
            assertEquals(cores, EngineThreads.defaultThreads(cores, 1), "one caller gets every core");
            for (int callers = 1; callers <= 2 * cores; callers++) {
                int threads = EngineThreads.defaultThreads(cores, callers);
                assertTrue(threads >= 1, "at least one thread");
                if (callers <= cores) {
                    assertTrue(callers * threads <= cores, callers + " callers x " + threads + " > " + cores);
                    // and no core is left idle for nothing: one more thread each would not fit
                    assertTrue(callers * (threads + 1) > cores, callers + " callers could have " + (threads + 1));
                } else {
                    assertEquals(1, threads, "more callers than cores: one thread each");
                }
            }
        }
        assertEquals(1, EngineThreads.defaultThreads(2, 2));
        assertEquals(4, EngineThreads.defaultThreads(16, 4));
        assertEquals(1, EngineThreads.defaultThreads(0, 0), "nonsense counts still give one thread");
    }

    @Test
    void badCountsAreRefusedNamingTheSetting() {
        assertEquals(3, EngineThreads.parse(" 3 ", "--threads"));
        for (String bad : new String[] {"0", "-2"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EngineThreads.parse(bad, "lazylm.threads"));
            assertTrue(e.getMessage().startsWith("lazylm.threads must be >= 1"), e.getMessage());
            assertTrue(e.getMessage().endsWith("got " + bad), e.getMessage());
        }
        for (String bad : new String[] {"two", "1.5", "99999999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EngineThreads.parse(bad, "--threads"));
            assertEquals("--threads=" + bad + ": expected a whole number of threads >= 1", e.getMessage());
        }
        assertEquals("--threads is empty; leave it out for the default",
                assertThrows(IllegalArgumentException.class, () -> EngineThreads.parse(" ", "--threads")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> EngineThreads.decide(0, 1, 2, "-threads", null, null, null));
    }

    @Test
    void theRequestOrTheRuleIsSetWhenTheUserSetNothing() {
        Decision asked = EngineThreads.decide(3, 1, 2, "--threads", null, null, null);
        assertEquals(3, asked.threads());
        assertEquals(Source.REQUESTED, asked.source());
        assertTrue(asked.setProperty());
        assertNull(asked.warning());
        assertEquals("3 (--threads)", asked.describe());

        Decision rule = EngineThreads.decide(null, 4, 8, "lazylm.threads", " ", "", null);
        assertEquals(2, rule.threads());
        assertEquals(Source.DEFAULT_RULE, rule.source());
        assertTrue(rule.setProperty());
        assertEquals("2 (the default: 8 cores / 4 concurrent callers)", rule.describe());
    }

    @Test
    void theUsersPropertyOrEnvironmentIsNeverOverridden() {
        Decision property = EngineThreads.decide(2, 1, 2, "--threads", "1", "4", null);
        assertEquals(1, property.threads(), "the property wins over the request and the environment");
        assertEquals(Source.SYSTEM_PROPERTY, property.source());
        assertFalse(property.setProperty());
        assertTrue(property.warning().startsWith("--threads=2 is not applied: -Dai.djl.pytorch.num_threads=1"),
                property.warning());

        Decision environment = EngineThreads.decide(null, 1, 2, "--threads", null, "1", null);
        assertEquals(1, environment.threads());
        assertEquals(Source.ENVIRONMENT, environment.source());
        assertFalse(environment.setProperty(), "libtorch reads OMP_NUM_THREADS itself");
        assertNull(environment.warning(), "a default request agrees with anything");

        assertEquals(4, EngineThreads.decide(null, 1, 2, "--threads", null, "4,2", null).threads(),
                "nested OpenMP counts: the outermost one");
        Decision unusable = EngineThreads.decide(null, 1, 2, "--threads", null, "auto", null);
        assertTrue(unusable.setProperty(), "a value OpenMP ignores is no setting of the user's");
        assertEquals(2, unusable.threads());

        Decision same = EngineThreads.decide(1, 1, 2, "--threads", null, "1", null);
        assertNull(same.warning(), "no warning when the request agrees");

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> EngineThreads.decide(null, 1, 2, "--threads", "many", null, null));
        assertTrue(bad.getMessage().startsWith("-Dai.djl.pytorch.num_threads=many"), bad.getMessage());
    }

    @Test
    void aLaterDifferentRequestIsReportedNotSilentlyIgnored() {
        Decision first = EngineThreads.decide(2, 1, 2, "--threads", null, null, null);
        Decision again = EngineThreads.decide(2, 1, 2, "lazylm.threads", "2", null, first);
        assertNull(again.warning());
        assertFalse(again.setProperty());

        Decision other = EngineThreads.decide(1, 1, 2, "lazylm.threads", "2", null, first);
        assertEquals(2, other.threads(), "the count in effect");
        assertFalse(other.setProperty());
        assertTrue(other.warning().startsWith("lazylm.threads=1 cannot take effect"), other.warning());
        assertTrue(other.warning().contains("2 (--threads)"), other.warning());

        Decision crowded = EngineThreads.decide(null, 2, 2, "lazylm.threads", "2", null, first);
        assertTrue(crowded.warning().contains("oversubscribe the 2 cores"), crowded.warning());
        assertTrue(crowded.warning().contains("lazylm.threads"), crowded.warning());
        assertNull(EngineThreads.decide(null, 1, 2, "lazylm.threads", "2", null, first).warning());
    }
}

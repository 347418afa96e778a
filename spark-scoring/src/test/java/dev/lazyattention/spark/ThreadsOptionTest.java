package dev.lazyattention.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.eval.ScoringConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code --threads} and {@link ScoringConfig#threads()}: checked, and a default that fits the executor. */
class ThreadsOptionTest {

    @Test
    void badCountsAreUsageErrorsNamingTheOption() {
        PrintStream saved = System.err;
        for (String bad : new String[] {"0", "-1", "four"}) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int status;
            try {
                status = ScoreCorpus.run(null, "--model", "m.lazylm.zip", "--input", "in", "--output", "out",
                        "--threads", bad);
            } finally {
                System.setErr(saved);
            }
            String message = err.toString(StandardCharsets.UTF_8);
            assertEquals(2, status, message);
            assertTrue(message.startsWith("--threads"), message);
            assertTrue(message.contains(bad), message);
        }
    }

    @Test
    void theConfigurationRefusesCountsBelowOne() {
        assertNull(ScoringConfig.of("m.lazylm.zip").threads(), "the default rule");
        assertEquals(2, ScoringConfig.of("m.lazylm.zip").with(ScoringConfig.THREADS, 2)
                .with(ScoringConfig.BATCH_SIZE, 4).threads());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScoringConfig.of("m.lazylm.zip").with(ScoringConfig.THREADS, 0));
        assertTrue(e.getMessage().startsWith("threads must be >= 1"), e.getMessage());
    }

    @Test
    void theDefaultGivesEachConcurrentTaskItsShareOfTheCores() {
        assertEquals(new TaskSlots.Budget(8, 1), TaskSlots.of("local", null, 1, 8));
        assertEquals(new TaskSlots.Budget(8, 2), TaskSlots.of("local[2]", null, 1, 8));
        assertEquals(new TaskSlots.Budget(8, 8), TaskSlots.of("local[*]", null, 1, 8));
        assertEquals(new TaskSlots.Budget(8, 3), TaskSlots.of("local[3,2]", null, 1, 8));
        assertEquals(new TaskSlots.Budget(4, 4), TaskSlots.of("local-cluster[2,4,1024]", null, 1, 8));
        assertEquals(new TaskSlots.Budget(4, 2), TaskSlots.of("yarn", 4, 2, 16), "executor cores / task cpus");
        assertEquals(new TaskSlots.Budget(16, 16), TaskSlots.of("spark://host:7077", null, 1, 16));
        assertEquals(new TaskSlots.Budget(1, 1), TaskSlots.of("yarn", 1, 4, 16), "at least one task");

        assertEquals(1, TaskSlots.of("local[*]", null, 1, 8).threadsPerTask(), "one thread per task");
        assertEquals(4, TaskSlots.of("local[2]", null, 1, 8).threadsPerTask());
        assertEquals(2, TaskSlots.of("yarn", 4, 2, 16).threadsPerTask(), "spark.task.cpus=2");
        assertEquals(1, TaskSlots.of("yarn", 4, 1, 16).threadsPerTask(), "not the machine's 16 cores");
        for (int cores = 1; cores <= 64; cores *= 2) {
            for (String master : new String[] {"local", "local[2]", "local[*]", "spark://h:7077"}) {
                TaskSlots.Budget b = TaskSlots.of(master, null, 1, cores);
                assertTrue(b.tasks() > b.cores() || b.tasks() * b.threadsPerTask() <= b.cores(), master + " " + b);
            }
        }
    }
}

package dev.lazyattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --threads} on every command that runs a model: listed in its help, bad values refused at parsing. */
class ThreadsOptionTest {

    @ParameterizedTest
    @ValueSource(strings = {"train", "eval", "generate", "choose", "inspect", "demo", "check-device", "annotate",
        "serve"})
    void everyModelCommandTakesThreadsAndRefusesBadCounts(String command) {
        CommandRun help = CliTest.run(command, "--help");
        assertEquals(0, help.code(), help.err());
        assertTrue(help.out().contains("--threads=N"), help.out());
        for (String bad : new String[] {"0", "-3", "two", "1.5"}) {
            CommandRun r = CliTest.run(command, "--threads", bad);
            assertEquals(2, r.code(), command + " --threads " + bad + ": " + r.err());
            String first = r.err().lines().findFirst().orElse("");
            assertTrue(first.startsWith("--threads"), "the message names the option: " + first);
            assertTrue(first.contains(bad), first);
        }
    }
}

package dev.lazyattention.opennlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import opennlp.tools.util.TrainingParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lazylm.threads} in training parameters and {@code -threads} of every tool, refused when bad. */
class ThreadsParameterTest {

    @TempDir
    Path dir;

    private static TrainingParameters with(String name, String value) {
        TrainingParameters params = new TrainingParameters();
        params.put(name, value);
        return params;
    }

    @Test
    void theTrainingParameterIsReadAndBadCountsAreRefusedNamingIt() {
        assertNull(OpenNlpTrainingParameters.from(null).threads());
        assertEquals(2, OpenNlpTrainingParameters.from(with(OpenNlpTrainingParameters.THREADS, "2")).threads());
        for (String bad : new String[] {"0", "-1", "two"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OpenNlpTrainingParameters.from(with(OpenNlpTrainingParameters.THREADS, bad)));
            assertTrue(e.getMessage().startsWith("lazylm.threads"), e.getMessage());
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> OpenNlpTrainingParameters.from(with("lazylm.thread", "2")));
        assertTrue(typo.getMessage().contains("did you mean lazylm.threads?"), typo.getMessage());
    }

    @Test
    void everyToolRefusesABadThreadsArgumentNamingIt() throws IOException {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, "The lazy fox sees the dog.\n");
        String model = dir.resolve("m.lazylm.zip").toString();
        for (String bad : new String[] {"0", "-2", "many"}) {
            assertRefused(new LazyAttentionTrainerTool(empty(), sink()), bad,
                    "-lang", "en", "-data", corpus.toString(), "-model", model, "-threads", bad);
            assertRefused(new LazyAttentionEvaluatorTool(empty(), sink()), bad,
                    "-model", model, "-data", corpus.toString(), "-threads", bad);
            assertRefused(new LazyAttentionPredictorTool(empty(), sink()), bad, "-model", model, "-threads", bad);
        }
    }

    private static void assertRefused(LazyAttentionCmdLineTool tool, String bad, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = tool.execute(args, new PrintStream(err, true, StandardCharsets.UTF_8));
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, status, tool.getName() + ": " + message);
        assertTrue(message.startsWith("-threads"), tool.getName() + ": " + message);
        assertTrue(message.contains(bad), message);
    }

    private static ByteArrayInputStream empty() {
        return new ByteArrayInputStream(new byte[0]);
    }

    private static PrintStream sink() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}

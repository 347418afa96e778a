package dev.lazyattention.corenlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.engine.EngineThreads;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lazylm.threads}: read and checked by the annotator and the trainer, fixed in a server. */
class ThreadsPropertyTest {

    @TempDir
    Path dir;

    private static Properties annotator(String... pairs) {
        Properties p = new Properties();
        p.setProperty("customAnnotatorClass.lazylm", LazyLmAnnotator.class.getName());
        p.setProperty("lazylm.model", "/models/en.lazylm.zip"); // not opened by the settings
        for (int i = 0; i < pairs.length; i += 2) {
            p.setProperty(pairs[i], pairs[i + 1]);
        }
        return p;
    }

    @Test
    void theAnnotatorReadsThreadsAndRefusesBadCountsNamingIt() {
        assertNull(new LazyLmSettings("lazylm", annotator()).config.threads(), "no value: the default rule");
        assertEquals(3, new LazyLmSettings("lazylm", annotator("lazylm.threads", "3")).config.threads());
        for (String bad : new String[] {"0", "-1", "two"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new LazyLmSettings("lazylm", annotator("lazylm.threads", bad)));
            assertTrue(e.getMessage().startsWith("lazylm.threads"), e.getMessage());
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> new LazyLmSettings("lazylm", annotator("lazylm.thread", "2")));
        assertTrue(typo.getMessage().contains("did you mean lazylm.threads?"), typo.getMessage());
    }

    @Test
    void theDefaultCountsEveryThreadThatScoresAtOnce() {
        LazyLmSettings settings = new LazyLmSettings("lazylm", annotator("lazylm.nthreads", "2", "threads", "3"));
        assertEquals(3, settings.pipelineThreads, "CoreNLP's threads: documents annotated at once");
        assertEquals(6, settings.concurrentCallers(settings.pipelineThreads));
        assertEquals(1, new LazyLmSettings("lazylm", annotator("threads", "many")).pipelineThreads,
                "CoreNLP's own property is not ours to refuse");
        for (int cores : new int[] {1, 2, 4, 8, 16, 32}) {
            int callers = settings.concurrentCallers(4); // a server with 4 request threads
            int threads = EngineThreads.defaultThreads(cores, callers);
            assertTrue(callers > cores ? threads == 1 : callers * threads <= cores, cores + " cores");
        }
    }

    @Test
    void theTrainerRefusesBadCountsNamingThem() {
        for (String bad : new String[] {"0", "-4", "1.5"}) {
            Properties p = new Properties();
            p.setProperty("lazylm.train.output", dir.resolve("m.lazylm.zip").toString());
            p.setProperty("lazylm.threads", bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LazyLmTrainer(p));
            assertTrue(e.getMessage().startsWith("lazylm.threads"), e.getMessage());
        }
    }

    @Test
    void aServerRequestMayNotChangeThreads() {
        ServerSettingsGuard guard = new ServerSettingsGuard(annotator("lazylm.threads", "1"));
        Properties request = annotator("lazylm.threads", "8");
        Optional<String> refusal = guard.violation(request);
        assertTrue(refusal.isPresent());
        assertTrue(refusal.get().startsWith("lazylm.threads is fixed by the server"), refusal.get());
        assertTrue(guard.violation(annotator("lazylm.threads", "1")).isEmpty(), "the server's own value passes");
    }
}

package dev.lazyattention.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link EngineThreads} against the real engine, each case in a fresh JVM (the count is fixed when the engine
 * starts): the property is set when the user set nothing, the user's {@code -D} or {@code OMP_NUM_THREADS}
 * is kept, and libtorch then runs with that count, as the PyTorch engine's own log line reports it.
 */
@Tag("slow") // five child JVMs that start the engine, about 15 s: runs under -Pfull
class EngineThreadsChildJvmTest {

    private static final Pattern TORCH = Pattern.compile("Number of intra-op threads is (\\d+)");

    /** The child's output (standard output and error); the child must succeed. */
    private static String run(Map<String, String> environment, List<String> jvm, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx256m");
        command.add("-Dorg.slf4j.simpleLogger.log.ai.djl.pytorch.engine.PtEngine=info");
        command.addAll(jvm);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(EngineThreadsChild.class.getName());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove(EngineThreads.OMP_ENVIRONMENT); // the build sets it for the test JVMs
        pb.environment().putAll(environment);
        Process child = pb.start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, child.exitValue(), out);
        return out;
    }

    private static int torchThreads(String out) {
        Matcher m = TORCH.matcher(out);
        assertTrue(m.find(), "the engine reports its count at info level:\n" + out);
        return Integer.parseInt(m.group(1));
    }

    @Test
    void aRequestIsSetAndLibtorchUsesIt() throws Exception {
        String out = run(Map.of(), List.of(), "3", "1");
        assertTrue(out.contains("property=3"), out);
        assertEquals(3, torchThreads(out));
    }

    @Test
    void theDefaultRuleIsSetAndLibtorchUsesIt() throws Exception {
        int callers = EngineThreads.cores(); // as many callers as cores: one thread each
        String out = run(Map.of(), List.of(), "-", Integer.toString(callers));
        assertTrue(out.contains("property=1"), out);
        assertEquals(1, torchThreads(out));
    }

    @Test
    void theUsersPropertyIsNotOverridden() throws Exception {
        String out = run(Map.of(), List.of("-D" + EngineThreads.PROPERTY + "=1"), "3", "1");
        assertTrue(out.contains("property=1"), out);
        assertTrue(out.contains("--threads=3 is not applied: -Dai.djl.pytorch.num_threads=1"), out);
        assertEquals(1, torchThreads(out));
    }

    @Test
    void theUsersEnvironmentIsNotOverridden() throws Exception {
        String out = run(Map.of(EngineThreads.OMP_ENVIRONMENT, "1"), List.of(), "3", "1");
        assertTrue(out.contains("property=null"), "libtorch reads OMP_NUM_THREADS itself:\n" + out);
        assertTrue(out.contains("--threads=3 is not applied: OMP_NUM_THREADS=1"), out);
        assertEquals(1, torchThreads(out));
    }

    @Test
    void aLaterDifferentRequestIsReported() throws Exception {
        String out = run(Map.of(), List.of(), "3", "1", "1");
        assertEquals(3, torchThreads(out));
        assertTrue(out.contains("lazylm.threads=1 cannot take effect: libtorch's intra-op threads are already"
                + " fixed at 3 (--threads)"), out);
    }
}

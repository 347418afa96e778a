package dev.lazyattention.lab.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One measurement of {@code lazyattn bench} in a fresh JVM: this JVM's launcher and class path run {@link
 * BenchCommand#main} with the given arguments (a {@code bench --child --json ...} line), and the child's JSON object is
 * the result. A fresh JVM per run keeps one variant's warm-up (the native heap's growth, the JIT) out of
 * another's timing.
 */
final class BenchChild {

    private static final long LIMIT_MINUTES = 30;

    private BenchChild() {}

    /**
     * The JSON object the child printed.
     *
     * @param what names the run in error messages, e.g. "a training bench child (lazy)"
     */
    static JsonObject run(List<String> benchArguments, String what) throws IOException, InterruptedException {
        List<String> command = ThreadsBench.java();
        command.add("-Dorg.slf4j.simpleLogger.log.ai.djl.pytorch.engine.PtEngine=info");
        command.add(BenchCommand.class.getName());
        command.addAll(benchArguments);
        Path err = Files.createTempFile("lazyattn-bench-child", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(LIMIT_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(what + " ran over " + LIMIT_MINUTES + " minutes");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(what + " failed (exit " + p.exitValue() + "): "
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return parse(out);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** The JSON object of a child's standard output: from its first '{' (anything a library printed before). */
    static JsonObject parse(String out) {
        int start = out.indexOf('{');
        if (start < 0) {
            throw new IllegalStateException("a bench child printed no JSON object: " + out);
        }
        return JsonParser.parseString(out.substring(start)).getAsJsonObject();
    }
}

package dev.lazyattention.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The PyTorch implementation in {@code python/} ({@code lazy_attention.py}, {@code train_ddp.py}), run with
 * Debian's {@code /usr/bin/python3} and its {@code python3-torch} and {@code python3-numpy}. Where they are
 * missing a test that needs them is skipped with a notice, unless {@code LAZYATTENTION_REQUIRE_PYTORCH=true}
 * (as CI sets it), which makes it fail.
 */
final class PyTorchReference {

    /** Debian's interpreter: the one its {@code python3-torch} package is built for. */
    static final String PYTHON = "/usr/bin/python3";
    /** Longest a Python command may take (a DDP run of a few steps takes seconds). */
    static final long TIMEOUT_SECONDS = 300;

    private static Boolean available;

    private PyTorchReference() {}

    /** Skips the calling test (or fails it when PyTorch is required) unless Python, torch and numpy load. */
    static synchronized void assumeAvailable() {
        if (available == null) {
            available = probe();
        }
        if (!available) {
            String notice = PYTHON + " with torch and numpy is not available (on Debian: apt-get install "
                    + "python3-torch python3-numpy)";
            if ("true".equals(System.getenv("LAZYATTENTION_REQUIRE_PYTORCH"))) {
                fail(notice + ", and LAZYATTENTION_REQUIRE_PYTORCH=true requires it");
            }
            System.out.println("SKIPPED: " + notice);
            Assumptions.abort(notice);
        }
    }

    private static boolean probe() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch, numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The repository's {@code python/} folder. */
    static Path folder() {
        return ReadmeSnippetsTest.root().resolve("python");
    }

    /**
     * Runs {@code python3 python/<script> args...} in {@code python/} and returns its output (standard output
     * and error together); a non-zero exit fails the test with that output.
     */
    static String run(String script, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(PYTHON, script));
        command.addAll(Arrays.asList(args));
        return runCommand(command);
    }

    static String runCommand(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(folder().toFile()).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1"); // the Python side's own threads stay off the JVM's cores
        Process p = pb.start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " took more than " + TIMEOUT_SECONDS + " s");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail(String.join(" ", command) + " exited with " + p.exitValue() + ":\n" + text);
        }
        return text;
    }

    /**
     * PyTorch's float64 log-probabilities of every id after the first of each sequence, given the ids before
     * it ({@code lazy_attention.py score}), for the model in {@code modelFolder}.
     */
    static List<double[]> score(Path modelFolder, List<int[]> sequences, Path work) throws IOException, InterruptedException {
        Gson gson = new Gson();
        Path ids = Files.createTempFile(work, "ids", ".json");
        Path out = Files.createTempFile(work, "logprobs", ".json");
        Files.writeString(ids, gson.toJson(sequences));
        run("lazy_attention.py", "score", modelFolder.toString(), "--ids", ids.toString(), "--out", out.toString());
        List<double[]> result = gson.fromJson(Files.readString(out), new TypeToken<List<double[]>>() {}.getType());
        assertEquals(sequences.size(), result.size());
        return result;
    }

    /** Largest absolute difference between two equally long arrays. */
    static double largestDifference(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": lengths");
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        return max;
    }
}

package dev.lazyattention.lab.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.engine.EngineThreads;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code lazyattn bench --phases threads}: training and scoring throughput at each intra-op thread count, on
 * an idle machine and beside a busy process. libtorch fixes its count when the engine starts, so every
 * measurement is a child JVM of this bench ({@code bench --phases train,score --threads N}); the busy process
 * is another child JVM that spins on as many threads as the machine has cores. The children inherit neither
 * {@code OMP_NUM_THREADS} nor {@code -Dai.djl.pytorch.num_threads}, so that {@code --threads} decides, and
 * log the PyTorch engine's own report of its count, which each row shows.
 */
final class ThreadsBench {

    private static final Pattern TORCH_THREADS = Pattern.compile("Number of intra-op threads is (\\d+)");

    private final String preset;
    private final int steps;
    private final int microBatch;
    private final int repeats;
    private final List<Integer> counts;
    private final int busyThreads;

    ThreadsBench(String preset, int steps, int microBatch, int repeats, List<Integer> counts, int busyThreads) {
        this.preset = preset;
        this.steps = steps;
        this.microBatch = microBatch;
        this.repeats = repeats;
        this.counts = counts;
        this.busyThreads = busyThreads;
    }

    /** One row per (load, thread count): medians, minima and maxima of the repetitions. */
    List<Map<String, Object>> run() throws IOException, InterruptedException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (boolean busy : new boolean[] {false, true}) {
            Process spinner = busy ? spin() : null;
            try {
                for (int threads : counts) {
                    rows.add(row(busy, threads));
                }
            } finally {
                if (spinner != null) {
                    spinner.destroyForcibly();
                    spinner.waitFor(30, TimeUnit.SECONDS);
                }
            }
        }
        return rows;
    }

    private Map<String, Object> row(boolean busy, int threads) throws IOException, InterruptedException {
        List<Double> train = new ArrayList<>();
        List<Double> score = new ArrayList<>();
        List<String> loads = new ArrayList<>();
        String reported = null;
        for (int r = 0; r < repeats; r++) {
            loads.add(loadAverage());
            Child child = child(threads);
            train.add(child.train);
            score.add(child.score);
            reported = child.torchThreads;
            System.err.printf(Locale.ROOT, "bench threads: %s, --threads %d, run %d: train %.0f, score %.0f tokens/s"
                    + " (load average before: %s)%n", busy ? "busy" : "alone", threads, r + 1, child.train, child.score,
                    loads.get(r));
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("load", busy ? "beside a JVM spinning on " + busyThreads + " threads" : "no neighbour started");
        row.put("threads", threads);
        row.put("libtorchThreads", reported);
        row.put("train", summary(train));
        row.put("score", summary(score));
        row.put("loadAverageBefore", loads);
        return row;
    }

    /** Median, minimum and maximum. */
    static Map<String, Object> summary(List<Double> values) {
        return Spread.of(values).toMap();
    }

    private record Child(double train, double score, String torchThreads) {}

    /** One measurement in a fresh JVM with {@code --threads threads}. */
    private Child child(int threads) throws IOException, InterruptedException {
        List<String> command = java();
        command.add("-Dorg.slf4j.simpleLogger.log.ai.djl.pytorch.engine.PtEngine=info");
        command.add(BenchCommand.class.getName());
        command.addAll(List.of("bench", "--child", "--repeat", "1", "--phases", "train,score", "--variants", "lazy", "--json",
                "--preset", preset, "--steps", Integer.toString(steps), "--batch-size", Integer.toString(microBatch),
                "--threads", Integer.toString(threads)));
        Path err = Files.createTempFile("lazyattn-bench-threads", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(err.toFile());
            pb.environment().remove(EngineThreads.OMP_ENVIRONMENT);
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(20, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("a bench child with --threads " + threads + " ran over 20 minutes");
            }
            String log = Files.readString(err, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("a bench child with --threads " + threads + " failed (exit "
                        + p.exitValue() + "): " + log);
            }
            JsonObject json = JsonParser.parseString(out.substring(out.indexOf('{'))).getAsJsonObject();
            double train = json.getAsJsonObject("train.lazy").get("tokensPerSecond").getAsDouble();
            double score = json.getAsJsonObject("score").getAsJsonObject("tokensPerSecond").get("median").getAsDouble();
            Matcher m = TORCH_THREADS.matcher(log);
            return new Child(train, score, m.find() ? m.group(1) : "not reported");
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** The busy neighbour: a JVM spinning on {@link #busyThreads} threads until it is stopped. */
    private Process spin() throws IOException {
        List<String> command = java();
        command.add(BusyLoop.class.getName());
        command.add(Integer.toString(busyThreads));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    /** This JVM's launcher and class path, its heap limit, without a thread count of its own. */
    static List<String> java() {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-Xmx") || arg.startsWith("-DOPT_OUT_TRACKING") || arg.startsWith("-Dai.djl.offline")) {
                command.add(arg);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        return command;
    }

    /** The 1, 5 and 15 minute load averages of this machine, as the kernel reports them; else "unknown". */
    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return String.join(" ", Arrays.copyOf(parts, 3));
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** A Markdown table of the rows, as docs/performance.md shows it. */
    @SuppressWarnings("unchecked")
    static String markdown(List<Map<String, Object>> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| other load | --threads | libtorch reports | training tokens/s, median (min-max) "
                + "| scoring tokens/s, median (min-max) | load average before each run |\n");
        sb.append("|---|---|---|---|---|---|\n");
        for (Map<String, Object> row : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s |%n", row.get("load"),
                    (Integer) row.get("threads"), row.get("libtorchThreads"),
                    range((Map<String, Object>) row.get("train")), range((Map<String, Object>) row.get("score")),
                    String.join("; ", (List<String>) row.get("loadAverageBefore"))));
        }
        return sb.toString();
    }

    private static String range(Map<String, Object> s) {
        return String.format(Locale.ROOT, "%,.0f (%,.0f-%,.0f)", s.get("median"), s.get("min"), s.get("max"));
    }
}

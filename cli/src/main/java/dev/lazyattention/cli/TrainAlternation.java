package dev.lazyattention.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The train phase of {@code lazyattn bench}: every training run is a child JVM ({@code bench --child --phases
 * train --variants V}) that trains 3 untimed steps, 3 warm-up steps and {@code --steps} timed ones, and the
 * variants take turns, {@code --repeat} rounds (lazy, softmax, lazy, softmax, ...). A JVM's first training
 * pays for the native heap's growth and the JIT; in one shared process that once made the variant timed first
 * 7 to 60% slower, depending on what else ran. Each figure is the median, min and max over a variant's runs;
 * the lazy/softmax ratio is taken within each round (see {@link AlternatingRuns}).
 */
final class TrainAlternation {

    private static final String[] PER_RUN = {"tokensPerSecond", "achievedFlopsPerSecond", "minorPageFaultsPerStep",
        "peakResidentBytes", "peakNativeBytes"};

    private final BenchCommand bench;
    private final double matmul;

    TrainAlternation(BenchCommand bench, double matmul) {
        this.bench = bench;
        this.matmul = matmul;
    }

    /** {@code train.<variant>} figures and, with lazy and softmax both run, {@code trainLazyOverSoftmax}. */
    Map<String, Object> run() throws IOException, InterruptedException {
        List<String> variants = bench.variants;
        Map<String, Map<String, List<Double>>> runs = new LinkedHashMap<>();
        Map<String, JsonObject> last = new LinkedHashMap<>();
        Map<String, List<String>> loads = new LinkedHashMap<>();
        String childThreads = null;
        int index = 0;
        List<String> order = AlternatingRuns.order(variants, bench.repeat);
        for (String variant : order) {
            String load = ThreadsBench.loadAverage();
            JsonObject out = child(variant);
            JsonObject figures = out.getAsJsonObject("train." + variant);
            Map<String, List<Double>> mine = runs.computeIfAbsent(variant, v -> new LinkedHashMap<>());
            for (String key : PER_RUN) {
                mine.computeIfAbsent(key, k -> new ArrayList<>()).add(figures.get(key).getAsDouble());
            }
            loads.computeIfAbsent(variant, v -> new ArrayList<>()).add(load);
            last.put(variant, figures);
            childThreads = out.get("libtorchIntraOpThreads").getAsString();
            System.err.printf(Locale.ROOT, "bench train: run %d of %d, %s in its own JVM: %.0f tokens/s (load average"
                    + " before: %s)%n", ++index, order.size(), variant, figures.get("tokensPerSecond").getAsDouble(), load);
        }
        Map<String, Object> results = new LinkedHashMap<>();
        for (String variant : runs.keySet()) {
            Map<String, List<Double>> mine = runs.get(variant);
            double flopsPerToken = last.get(variant).get("flopsPerToken").getAsDouble();
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("tokensPerSecond", Spread.of(mine.get("tokensPerSecond")).toMap());
            v.put("parameters", last.get(variant).get("parameters").getAsLong());
            v.put("flopsPerToken", flopsPerToken);
            v.put("achievedFlopsPerSecond", Spread.of(mine.get("achievedFlopsPerSecond")).toMap());
            if (Double.isFinite(matmul)) {
                List<Double> mfu = new ArrayList<>();
                for (double rate : mine.get("achievedFlopsPerSecond")) {
                    mfu.add(rate / matmul);
                }
                v.put("mfu", Spread.of(mfu).toMap());
            }
            v.put("minorPageFaultsPerStep", Spread.of(mine.get("minorPageFaultsPerStep")).toMap());
            v.put("peakResidentBytes", Spread.of(mine.get("peakResidentBytes")).toMap());
            v.put("peakNativeBytes", Spread.of(mine.get("peakNativeBytes")).toMap());
            v.put("loadAverageBefore", loads.get(variant));
            results.put("train." + variant, v);
        }
        results.put("trainChildLibtorchThreads", childThreads);
        if (runs.containsKey("lazy") && runs.containsKey("softmax")) {
            Map<String, Object> ratio = AlternatingRuns.pairRatios(runs.get("lazy").get("tokensPerSecond"),
                    runs.get("softmax").get("tokensPerSecond")).toMap();
            ratio.put("measured", "median of " + bench.repeat + " per-pair ratios; runs alternate "
                    + String.join(", ", variants) + ", ..., each in its own JVM");
            results.put("trainLazyOverSoftmax", ratio);
        }
        return results;
    }

    /** One child's JSON output. */
    private JsonObject child(String variant) throws IOException, InterruptedException {
        List<String> command = ThreadsBench.java();
        command.add("-Dorg.slf4j.simpleLogger.log.ai.djl.pytorch.engine.PtEngine=info");
        command.add(Main.class.getName());
        command.addAll(bench.trainChildArguments(variant));
        Path err = Files.createTempFile("lazyattn-bench-train", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("a training bench child (" + variant + ") ran over 30 minutes");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("a training bench child (" + variant + ") failed (exit "
                        + p.exitValue() + "): " + Files.readString(err, StandardCharsets.UTF_8));
            }
            JsonElement json = JsonParser.parseString(out.substring(out.indexOf('{')));
            return json.getAsJsonObject();
        } finally {
            Files.deleteIfExists(err);
        }
    }
}

package dev.lazyattention.lab.bench;

import com.google.gson.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The train phase of {@code lazyattn bench}: every training run is a child JVM ({@code bench --child --phases
 * train --variants V}, see {@link BenchChild}) that trains 3 warm-up steps and {@code --steps} timed ones, and
 * the variants take turns, {@code --repeat} rounds (lazy, softmax, softmax, lazy, ...: see {@link
 * AlternatingRuns}). A JVM's first training pays for the native heap's growth and the JIT, which in one shared
 * process would count against the variant timed first. Each figure is the median, min and max over a variant's
 * runs; the lazy/softmax ratio is taken within each round.
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
    Map<String, Object> run() throws Exception {
        List<String> variants = bench.variants;
        Map<String, JsonObject> last = new LinkedHashMap<>();
        Map<String, List<String>> loads = new LinkedHashMap<>();
        String[] childThreads = {null};
        int total = variants.size() * bench.repeat;
        Map<String, Map<String, List<Double>>> runs = AlternatingRuns.collect(variants, bench.repeat,
                (variant, index) -> {
                    String load = ThreadsBench.loadAverage();
                    JsonObject out = BenchChild.run(bench.childArguments("train", variant),
                            "a training bench child (" + variant + ")");
                    JsonObject figures = out.getAsJsonObject("train." + variant);
                    Map<String, Double> mine = new LinkedHashMap<>();
                    for (String key : PER_RUN) {
                        mine.put(key, figures.get(key).getAsDouble());
                    }
                    loads.computeIfAbsent(variant, v -> new ArrayList<>()).add(load);
                    last.put(variant, figures);
                    childThreads[0] = out.get("libtorchIntraOpThreads").getAsString();
                    System.err.printf(Locale.ROOT, "bench train: run %d of %d, %s in its own JVM: %.0f tokens/s (load"
                            + " average before: %s)%n", index + 1, total, variant, mine.get("tokensPerSecond"), load);
                    return mine;
                });
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
        results.put("trainChildLibtorchThreads", childThreads[0]);
        if (runs.containsKey("lazy") && runs.containsKey("softmax")) {
            Map<String, Object> ratio = AlternatingRuns.pairRatios(runs.get("lazy").get("tokensPerSecond"),
                    runs.get("softmax").get("tokensPerSecond")).toMap();
            ratio.put("measured", AlternatingRuns.describe(variants, bench.repeat));
            results.put("trainLazyOverSoftmax", ratio);
        }
        return results;
    }
}

package dev.lazyattention.lab.bench;

import com.google.gson.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The layer phase of {@code lazyattn bench}: every run is a child JVM ({@code bench --child --phases layer
 * --variants V}, see {@link BenchChild}) that times one variant's {@link LayerBench} (3 warm-up iterations of
 * 2 s, then --repeat iterations of 2 s, as JMH forks a fresh JVM per benchmark), with this JVM's libtorch
 * thread count. The variants take turns, --repeat rounds, in the order of {@link AlternatingRuns}. A run's
 * figure is the median of its iterations' milliseconds per operation; each variant's figure is the median,
 * min and max over its runs, and the lazy/softmax ratio is taken within each round.
 */
final class LayerAlternation {

    /** The measurements of {@link LayerBench}, each a figure in milliseconds per operation. */
    private static final List<String> MEASUREMENTS = List.of("forwardMillis", "forwardBackwardMillis");

    private final BenchCommand bench;

    LayerAlternation(BenchCommand bench) {
        this.bench = bench;
    }

    /** The shape, per variant the spread of each measurement over its runs, and lazyOverSoftmax. */
    Map<String, Object> run() throws Exception {
        List<String> variants = bench.variants;
        Map<String, List<String>> loads = new LinkedHashMap<>();
        String[] childThreads = {null};
        int total = variants.size() * bench.repeat;
        Map<String, Map<String, List<Double>>> runs = AlternatingRuns.collect(variants, bench.repeat,
                (variant, index) -> {
                    String load = ThreadsBench.loadAverage();
                    JsonObject out = BenchChild.run(bench.childArguments("layer", variant),
                            "a layer bench child (" + variant + ")");
                    JsonObject figures = out.getAsJsonObject("layer").getAsJsonObject(variant);
                    Map<String, Double> mine = new LinkedHashMap<>();
                    for (String key : MEASUREMENTS) {
                        mine.put(key, figures.getAsJsonObject(key).get("median").getAsDouble());
                    }
                    loads.computeIfAbsent(variant, v -> new ArrayList<>()).add(load);
                    childThreads[0] = out.get("libtorchIntraOpThreads").getAsString();
                    System.err.printf(Locale.ROOT, "bench layer: run %d of %d, %s in its own JVM: %.1f ms forward,"
                            + " %.1f ms forward+backward (load average before: %s)%n", index + 1, total, variant,
                            mine.get("forwardMillis"), mine.get("forwardBackwardMillis"), load);
                    return mine;
                });
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("shape", List.of(LayerBench.BATCH, LayerBench.SEQUENCE, LayerBench.HIDDEN));
        all.put("heads", LayerBench.HEADS);
        all.put("measured", "a child JVM per run: 3 warm-up iterations of 2 s, then " + bench.repeat
                + " of 2 s; a run's figure is the median of its iterations' ms per operation");
        all.put("childLibtorchThreads", childThreads[0]);
        for (String variant : variants) {
            Map<String, Object> v = new LinkedHashMap<>();
            for (String key : MEASUREMENTS) {
                v.put(key, Spread.of(runs.get(variant).get(key)).toMap());
            }
            v.put("loadAverageBefore", loads.get(variant));
            all.put(variant, v);
        }
        if (runs.containsKey("lazy") && runs.containsKey("softmax")) {
            Map<String, Object> ratios = new LinkedHashMap<>();
            for (String key : MEASUREMENTS) {
                Map<String, Object> ratio = AlternatingRuns.pairRatios(runs.get("lazy").get(key),
                        runs.get("softmax").get(key)).toMap();
                ratio.put("measured", "lazy's ms over softmax's (above 1: lazy is slower); "
                        + AlternatingRuns.describe(variants, bench.repeat));
                ratios.put(key, ratio);
            }
            all.put("lazyOverSoftmax", ratios);
        }
        return all;
    }
}

package dev.lazyattention.lab.experiment;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.cli.Json;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.model.DecoderLayer;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmOutput;
import dev.lazyattention.train.LmTrainer;
import dev.lazyattention.util.Tensors;
import org.jfree.chart.JFreeChart;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes results.json, report.md and the PNG pictures of an experiment folder from what the runs left in
 * it: setup.json, and per variant eval.json, metrics.jsonl and model.lazylm.zip.
 */
final class ExperimentReport {

    static final String EVAL_FILE = "eval.json";
    static final String SETUP_FILE = "setup.json";
    static final String[] PICTURES = {"valid_loss.png", "sparsity_over_training.png", "sink_mass_over_training.png",
        "sparsity_per_layer.png", "tau.png", "distance_bias.png", "attention_maps.png", "mean_cosine_per_layer.png",
        "effective_rank_per_layer.png"};
    /** Paper's reported maximum attention sparsity. */
    static final double PAPER_SPARSITY = 0.5958;

    private ExperimentReport() {}

    /** Everything known about one run. */
    record Run(ExperimentCommand.Run spec, JsonObject eval, List<JsonObject> metrics, Path model) {
        String id() {
            return spec.id();
        }

        AttentionVariant variant() {
            return spec.variant();
        }

        /** A value of the held-out evaluation, NaN when the experiment had none. */
        double heldOut(String key) {
            JsonElement h = eval.get("heldOut");
            if (h == null || !h.isJsonObject() || !h.getAsJsonObject().has(key)) {
                return Double.NaN;
            }
            return h.getAsJsonObject().get(key).getAsDouble();
        }

        double value(String key) {
            JsonElement e = eval.get(key);
            return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
        }

        /** [steps, values] of a metric over the validation events. */
        double[][] curve(String key) {
            List<double[]> points = new ArrayList<>();
            for (JsonObject o : metrics) {
                if (o.get("event").getAsString().equals("valid") && o.has(key)) {
                    points.add(new double[] {o.get("step").getAsDouble(), o.get(key).getAsDouble()});
                }
            }
            double[][] out = new double[2][points.size()];
            for (int i = 0; i < points.size(); i++) {
                out[0][i] = points.get(i)[0];
                out[1][i] = points.get(i)[1];
            }
            return out;
        }

        /** Training throughput and wall time from the last training event. */
        double lastTrain(String key) {
            double v = Double.NaN;
            for (JsonObject o : metrics) {
                if (o.get("event").getAsString().equals("train")) {
                    v = o.get(key).getAsDouble();
                }
            }
            return v;
        }
    }

    static void write(Path out, List<ExperimentCommand.Run> specs) throws IOException {
        JsonObject setup = JsonParser.parseString(read(out.resolve(SETUP_FILE))).getAsJsonObject();
        List<Run> runs = new ArrayList<>();
        for (ExperimentCommand.Run v : specs) {
            Path dir = out.resolve(v.id());
            if (!Files.exists(dir.resolve(EVAL_FILE))) {
                throw new IOException(dir.resolve(EVAL_FILE) + " is missing: the " + v.id() + " run has not finished");
            }
            List<JsonObject> metrics = new ArrayList<>();
            for (String line : Files.readAllLines(dir.resolve(LmTrainer.METRICS_FILE), StandardCharsets.UTF_8)) {
                metrics.add(JsonParser.parseString(line).getAsJsonObject());
            }
            runs.add(new Run(v, JsonParser.parseString(read(dir.resolve(EVAL_FILE))).getAsJsonObject(), metrics,
                    dir.resolve(LmTrainer.MODEL_FILE)));
        }
        Map<String, double[][]> taus = new LinkedHashMap<>();
        Map<String, double[][][]> biases = new LinkedHashMap<>();
        for (Run r : runs) {
            if (r.spec().repeat()) {
                continue; // pictures of parameters show one run per variant
            }
            try (LazyLanguageModel lm = LazyLanguageModel.load(r.model(), Device.cpu())) {
                if (r.variant().hasElasticSoftmax()) {
                    taus.put(r.id(), parameterPerLayer(lm, true)[0]);
                }
                if (r.variant().hasDistanceBias()) {
                    biases.put(r.id(), parameterPerLayer(lm, false));
                }
            }
        }
        writeResults(out, setup, runs, taus);
        drawPictures(out, setup, runs, taus, biases);
        Files.writeString(out.resolve("report.md"), markdown(setup, runs), StandardCharsets.UTF_8);
    }

    /** tau as {layers x heads} (in [0]), or the distance bias as one {heads x Lb} matrix per layer. */
    private static double[][][] parameterPerLayer(LazyLanguageModel lm, boolean tau) {
        List<DecoderLayer> layers = lm.block().layers();
        double[][][] out = new double[tau ? 1 : layers.size()][][];
        if (tau) {
            out[0] = new double[layers.size()][];
        }
        for (int l = 0; l < layers.size(); l++) {
            Parameter p = tau ? layers.get(l).attention().tau() : layers.get(l).attention().distanceBias();
            NDArray a = p.getArray();
            float[] values = a.toFloatArray();
            if (tau) {
                out[0][l] = toDouble(values);
            } else {
                int heads = Math.toIntExact(a.getShape().get(0));
                int lb = Math.toIntExact(a.getShape().get(1));
                out[l] = new double[heads][lb];
                for (int h = 0; h < heads; h++) {
                    for (int d = 0; d < lb; d++) {
                        out[l][h][d] = values[h * lb + d];
                    }
                }
            }
        }
        return out;
    }

    private static void writeResults(Path out, JsonObject setup, List<Run> runs, Map<String, double[][]> taus)
            throws IOException {
        JsonObject root = new JsonObject();
        root.add("setup", setup);
        JsonArray list = new JsonArray();
        for (Run r : runs) {
            JsonObject o = r.eval().deepCopy();
            o.remove("sinkMassPerHead");
            o.add("tau", taus.containsKey(r.id()) ? JsonParser.parseString(Json.of(taus.get(r.id()))) : null);
            o.addProperty("trainTokensPerSecond", r.lastTrain("tokensPerSecond"));
            o.addProperty("wallSeconds", r.lastTrain("elapsedSeconds"));
            list.add(o);
        }
        root.add("variants", list);
        Files.writeString(out.resolve("results.json"), new com.google.gson.GsonBuilder().setPrettyPrinting()
                .serializeSpecialFloatingPointValues().create().toJson(root), StandardCharsets.UTF_8);
    }

    private static void drawPictures(Path out, JsonObject setup, List<Run> runs, Map<String, double[][]> taus,
            Map<String, double[][][]> biases) throws IOException {
        Map<String, double[][]> loss = new LinkedHashMap<>();
        Map<String, double[][]> sparsity = new LinkedHashMap<>();
        Map<String, double[][]> sink = new LinkedHashMap<>();
        for (Run r : runs) {
            loss.put(r.id(), r.curve("loss"));
            sparsity.put(r.id(), r.curve("sparsity"));
            sink.put(r.id(), r.curve("sinkMass"));
        }
        Charts.lines(out.resolve("valid_loss.png"), "Validation loss", "step", "loss (nats per token)", loss);
        Charts.lines(out.resolve("sparsity_over_training.png"), "Attention sparsity during training (validation windows)",
                "step", "share of exactly-zero causal weights", sparsity);
        Charts.lines(out.resolve("sink_mass_over_training.png"), "Attention on the first token during training",
                "step", "sinkMass", sink);

        int layers = runs.get(0).eval().getAsJsonArray("sparsityPerLayer").size();
        List<String> layerNames = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            layerNames.add("layer " + l);
        }
        Charts.bars(out.resolve("sparsity_per_layer.png"), "Attention sparsity per layer (validation text)", "layer",
                "share of exactly-zero causal weights", layerNames, perLayer(runs, "sparsityPerLayer", layers));

        drawTau(out.resolve("tau.png"), taus);
        drawBias(out.resolve("distance_bias.png"), biases);
        drawAttentionMaps(out.resolve("attention_maps.png"), setup, runs);
        Charts.bars(out.resolve("mean_cosine_per_layer.png"),
                "Collapse: mean pairwise cosine of a window's tokens (validation text)", "layer",
                "mean cosine (1: collapsed)", layerNames, perLayer(runs, "meanCosine", layers));
        Charts.bars(out.resolve("effective_rank_per_layer.png"),
                "Collapse: effective rank of a window's tokens (validation text)", "layer",
                "effective rank (1: collapsed)", layerNames, perLayer(runs, "effectiveRank", layers));
    }

    /** Per run, the per-layer array {@code key} of its validation evaluation; NaN where it has none. */
    private static Map<String, double[]> perLayer(List<Run> runs, String key, int layers) {
        Map<String, double[]> perLayer = new LinkedHashMap<>();
        for (Run r : runs) {
            JsonArray a = r.eval().has(key) ? r.eval().getAsJsonArray(key) : new JsonArray();
            double[] v = new double[layers];
            for (int l = 0; l < layers; l++) {
                v[l] = l < a.size() ? a.get(l).getAsDouble() : Double.NaN;
            }
            perLayer.put(r.id(), v);
        }
        return perLayer;
    }

    private static void drawTau(Path file, Map<String, double[][]> taus) throws IOException {
        if (taus.isEmpty()) {
            taus = Map.of("(no Elastic-Softmax variant)", new double[][] {{0}});
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double[][] t : taus.values()) {
            for (double[] row : t) {
                for (double v : row) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        ColorScale scale = new ColorScale(lo, hi);
        JFreeChart[][] tiles = new JFreeChart[1][taus.size()];
        int i = 0;
        for (Map.Entry<String, double[][]> e : taus.entrySet()) {
            tiles[0][i++] = Charts.heatmap(e.getKey(), "head", "layer", e.getValue(), scale, false);
        }
        Charts.grid(file, "Learned tau per layer and head (initialised at -1; more negative cuts more)", tiles, 420,
                scale, "tau");
    }

    private static void drawBias(Path file, Map<String, double[][][]> biases) throws IOException {
        if (biases.isEmpty()) {
            biases = Map.of("(no distance-bias variant)", new double[][][] {{{0}}});
        }
        int layers = biases.values().iterator().next().length;
        int shown = Math.min(64, biases.values().iterator().next()[0][0].length);
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double[][][] b : biases.values()) {
            for (double[][] layer : b) {
                for (double[] head : layer) {
                    for (int d = 0; d < shown; d++) {
                        lo = Math.min(lo, head[d]);
                        hi = Math.max(hi, head[d]);
                    }
                }
            }
        }
        ColorScale scale = new ColorScale(lo, hi);
        JFreeChart[][] tiles = new JFreeChart[biases.size()][layers];
        int r = 0;
        for (Map.Entry<String, double[][][]> e : biases.entrySet()) {
            for (int l = 0; l < layers; l++) {
                double[][] b = e.getValue()[l];
                double[][] cut = new double[b.length][shown];
                for (int h = 0; h < b.length; h++) {
                    System.arraycopy(b[h], 0, cut[h], 0, shown);
                }
                tiles[r][l] = Charts.heatmap(e.getKey() + ", layer " + l, "distance i - j", "head", cut, scale, false);
            }
            r++;
        }
        Charts.grid(file, "Learned distance bias b[h, d] for the first " + shown + " distances", tiles, 260, scale,
                "bias");
    }

    /** Variants whose attention maps are drawn, in this order, when the experiment has them. */
    private static final String[] MAPPED = {"softmax", "lazy", "off_by_one", "learned_sink", "gated"};

    /**
     * Attention maps on one validation passage: first, middle and last layer of softmax, lazy and the other
     * sink-free baselines. The heads shown in each layer are the four with the most softmax weight on the first
     * token, so that where softmax has a sink, the picture shows it and what the other variants do instead.
     */
    private static void drawAttentionMaps(Path file, JsonObject setup, List<Run> runs) throws IOException {
        List<Run> shown = new ArrayList<>();
        for (String id : MAPPED) {
            runs.stream().filter(r -> r.id().equals(id)).findFirst().ifPresent(shown::add);
        }
        if (shown.isEmpty()) {
            shown.add(runs.get(0));
        }
        List<Path> validFiles = new ArrayList<>();
        for (JsonElement e : setup.getAsJsonArray("validFiles")) {
            validFiles.add(Path.of(e.getAsString()));
        }
        // The start of the validation text, paragraphs joined until the window is full.
        StringBuilder text = new StringBuilder();
        for (String document : TextCorpus.read(validFiles).documents()) {
            text.append(text.length() == 0 ? "" : "\n").append(document);
            if (text.length() > 400) {
                break;
            }
        }
        String passage = text.toString();
        double[][] softmaxSink = sinkPerHead(find(runs, "softmax") != null ? find(runs, "softmax") : shown.get(0));
        List<JFreeChart[]> rows = new ArrayList<>();
        ColorScale scale = new ColorScale(0, 1, 0.4);
        for (Run r : shown) {
            try (LazyLanguageModel lm = LazyLanguageModel.load(r.model(), Device.cpu());
                    NDManager manager = lm.newManager()) {
                int length = Math.min(48, lm.config().contextLength());
                int[] tokens = lm.tokenizer().afterEndOfText(lm.tokenizer().encode(passage));
                long[] input = new long[Math.min(length, tokens.length)];
                for (int i = 0; i < input.length; i++) {
                    input[i] = tokens[i];
                }
                int n = input.length;
                AttentionContext ctx = AttentionContext.builder(manager, 1, n).optReturnWeights(true).build();
                LmOutput out = lm.block().forward(lm.parameterStore(manager), Tensors.of(manager, input, new Shape(1, n)),
                        null, ctx, false);
                int layers = lm.config().numLayers();
                int heads = Math.min(4, lm.config().numHeads());
                // First, middle and last layer, each once (a 2-layer model has two).
                for (int layer : java.util.stream.IntStream.of(0, layers / 2, layers - 1).distinct().toArray()) {
                    float[] a = out.attentionWeights().get(layer).toFloatArray(); // [1, H, n, n]
                    int[] chosen = headsWithMostSink(softmaxSink, layer, heads);
                    JFreeChart[] row = new JFreeChart[heads];
                    for (int c = 0; c < heads; c++) {
                        int h = chosen[c];
                        double[][] m = new double[n][n];
                        for (int i = 0; i < n; i++) {
                            for (int j = 0; j < n; j++) {
                                m[i][j] = a[(h * n + i) * n + j];
                            }
                        }
                        row[c] = Charts.heatmap(String.format(Locale.ROOT, "%s, layer %d, head %d (softmax sink %.2f)",
                                r.id(), layer, h, softmaxSink[layer][h]), "key", "query", m, scale, false);
                    }
                    rows.add(row);
                }
            }
        }
        Charts.grid(file, "Attention weights A on one validation passage (key 0 is the first token; colour ~ weight^0.4)",
                rows.toArray(new JFreeChart[0][]), 230, scale, "weight");
    }

    /** Mean weight on the first token per layer and head, from a run's evaluation. */
    private static double[][] sinkPerHead(Run run) {
        JsonArray layers = run.eval().getAsJsonArray("sinkMassPerHead");
        double[][] m = new double[layers.size()][];
        for (int l = 0; l < m.length; l++) {
            JsonArray heads = layers.get(l).getAsJsonArray();
            m[l] = new double[heads.size()];
            for (int h = 0; h < m[l].length; h++) {
                m[l][h] = heads.get(h).isJsonNull() ? 0 : heads.get(h).getAsDouble();
            }
        }
        return m;
    }

    /** The {@code count} heads of {@code layer} with the largest sink mass, largest first. */
    static int[] headsWithMostSink(double[][] sink, int layer, int count) {
        return java.util.stream.IntStream.range(0, sink[layer].length).boxed()
                .sorted((a, b) -> Double.compare(sink[layer][b], sink[layer][a]))
                .limit(count).mapToInt(Integer::intValue).toArray();
    }

    private static String markdown(JsonObject setup, List<Run> runs) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "# Lazy Attention against standard attention: `%s` preset, %d steps%n%n",
                setup.get("preset").getAsString(), setup.get("steps").getAsInt()));
        md.append("- Machine: ").append(setup.get("machine").getAsString()).append('\n');
        md.append(String.format(Locale.ROOT, "- Training data: %s (%.1f MB, %,d tokens); validation: %s (%.2f MB, %,d tokens)%n",
                names(setup.getAsJsonArray("trainFiles")), setup.get("trainBytes").getAsDouble() / 1e6,
                setup.get("trainTokens").getAsLong(), names(setup.getAsJsonArray("validFiles")),
                setup.get("validBytes").getAsDouble() / 1e6, setup.get("validTokens").getAsLong()));
        if (setup.has("numHeads")) {
            md.append(String.format(Locale.ROOT, "- Model: %d layers of %d heads of %d (%d key/value heads), hidden size %d%n",
                    setup.get("numLayers").getAsInt(), setup.get("numHeads").getAsInt(),
                    setup.get("hiddenSize").getAsInt() / setup.get("numHeads").getAsInt(),
                    setup.get("numKvHeads").getAsInt(), setup.get("hiddenSize").getAsInt()));
        }
        JsonArray heldOutFiles = setup.has("heldOutFiles") ? setup.getAsJsonArray("heldOutFiles") : new JsonArray();
        if (!heldOutFiles.isEmpty()) {
            md.append("- Held out (never trained or validated on): ").append(names(heldOutFiles)).append('\n');
        }
        md.append(String.format(Locale.ROOT, "- Every run: the same byte-level BPE tokenizer, data order and schedule; "
                        + "%d steps of %d x %d windows%s; peak learning rate %s%s%s; seed %d unless the run's name "
                        + "says another%n%n",
                setup.get("steps").getAsInt(), setup.get("batchSize").getAsInt(),
                setup.get("gradientAccumulation").getAsInt(),
                setup.has("contextLength") ? " of " + setup.get("contextLength").getAsInt() + " tokens" : "",
                setup.get("learningRate").getAsString(),
                setup.has("weightDecay") ? ", weight decay " + setup.get("weightDecay").getAsString() : "",
                setup.has("startToken") && setup.get("startToken").getAsBoolean()
                        ? "; start token on (<|endoftext|> at position 0 of every window)" : "",
                setup.get("seed").getAsLong()));
        md.append("| run | parameters | valid loss | bits/byte | held-out bits/byte | sparsity | sinkMass | sinkRate "
                + "| held-out sinkRate | survivingMass | PIQA acc | PIQA acc_norm | wall minutes |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Run r : runs) {
            md.append(String.format(Locale.ROOT, "| %s | %,d | %.4f | %.4f | %s | %.1f%% | %.4f | %.2f | %s | %.3f | %s | %s | %.1f |%n",
                    r.id(), (long) r.value("parameters"), r.value("loss"), r.value("bitsPerByte"),
                    fixed(r.heldOut("bitsPerByte"), "%.4f"), 100 * r.value("sparsity"), r.value("sinkMass"),
                    r.value("sinkRate"), fixed(r.heldOut("sinkRate"), "%.2f"), r.value("survivingMass"),
                    percent(r.value("piqaAcc")), percent(r.value("piqaAccNorm")), r.lastTrain("elapsedSeconds") / 60));
        }
        md.append("\nPIQA: 1,838 two-choice items; chance is 50%. sinkMass: mean weight on the first token of a window; "
                + "sinkRate: share of (layer, head) pairs whose mean weight on the first token exceeds 0.3. Wall minutes: "
                + "training with its validations, on a machine that other jobs may have shared.\n\n");
        md.append(collapse(runs));
        md.append(claims(runs));
        md.append("\n## Pictures\n\n");
        String[] captions = {"Validation loss of every run", "Sparsity of the attention weights over training",
            "Weight on the first token (the attention sink) over training, every run", "Sparsity per layer",
            "Learned tau per layer and head", "Learned distance bias per head and layer",
            "Attention maps on one validation passage: in each layer the four heads with the most softmax weight on "
                    + "the first token", "Representational collapse per layer: mean pairwise cosine",
            "Representational collapse per layer: effective rank"};
        for (int i = 0; i < PICTURES.length; i++) {
            md.append("### ").append(captions[i]).append("\n\n![").append(captions[i]).append("](")
                    .append(PICTURES[i]).append(")\n\n");
        }
        return md.toString();
    }

    /** The collapse table: per run and layer, mean pairwise cosine and effective rank (validation; held out). */
    private static String collapse(List<Run> runs) {
        if (!runs.get(0).eval().has("meanCosine")) {
            return "";
        }
        StringBuilder md = new StringBuilder("| run | meanCosine per layer | effectiveRank per layer "
                + "| held-out meanCosine | held-out effectiveRank |\n|---|---|---|---|---|\n");
        for (Run r : runs) {
            JsonElement h = r.eval().get("heldOut");
            JsonObject held = h != null && h.isJsonObject() ? h.getAsJsonObject() : new JsonObject();
            md.append("| ").append(r.id()).append(" | ").append(layerValues(r.eval(), "meanCosine", "%.3f"))
                    .append(" | ").append(layerValues(r.eval(), "effectiveRank", "%.2f"))
                    .append(" | ").append(layerValues(held, "meanCosine", "%.3f"))
                    .append(" | ").append(layerValues(held, "effectiveRank", "%.2f")).append(" |\n");
        }
        md.append("\nCollapse: per layer, the residual stream after that layer over the tokens of each scoring window but "
                + "its first; meanCosine is the mean cosine over all pairs of distinct tokens (1: collapsed), "
                + "effectiveRank the exp of the entropy of the normalised singular values of at most 64 evenly spaced "
                + "tokens (Roy and Vetterli 2007; 1: collapsed), each averaged over windows.\n\n");
        return md.toString();
    }

    private static String layerValues(JsonObject o, String key, String pattern) {
        if (!o.has(key) || !o.get(key).isJsonArray()) {
            return "n/a";
        }
        List<String> values = new ArrayList<>();
        for (JsonElement e : o.getAsJsonArray(key)) {
            values.add(fixed(e.getAsDouble(), pattern));
        }
        return String.join(" / ", values);
    }

    /** Heads with a sink in the softmax baseline, as a share, at or above which the sink claim is tested. */
    static final double SINK_RATE_TARGET = 0.25;
    /** Largest change of bits per byte against softmax that counts as "the same quality". */
    static final double QUALITY_TOLERANCE = 0.02;

    /** The paper's claims, each checked against the numbers measured here. */
    static String claims(List<Run> runs) {
        Run lazy = find(runs, "lazy");
        Run softmax = find(runs, "softmax");
        StringBuilder md = new StringBuilder("## The paper's claims on this run\n\n");
        if (lazy == null || softmax == null) {
            return md.append("The comparison needs both the lazy and the softmax variant.\n").toString();
        }
        double rateLazy = lazy.value("sinkRate");
        // With several seeds the verdict rests on all of them: softmax's mean rate, and lazy's in every seed.
        double[] softRates = values(runs, "softmax", "sinkRate");
        double rateSoft = mean(softRates);
        boolean lazyHasNone = Arrays.stream(values(runs, "lazy", "sinkRate")).allMatch(r -> r == 0);
        String verdict;
        if (rateSoft < SINK_RATE_TARGET) {
            verdict = String.format(Locale.ROOT, "Softmax formed a sink in only %.0f%% of its heads %s (fewer than "
                    + "%.0f%%), so this run does not test the claim.", 100 * rateSoft,
                    softRates.length > 1 ? "on average over its " + softRates.length + " seeds" : "here",
                    100 * SINK_RATE_TARGET);
        } else if (lazyHasNone) {
            double fewest = Arrays.stream(softRates).min().orElseThrow();
            verdict = (softRates.length > 1 ? String.format(Locale.ROOT, "Softmax has sinks (%.0f%% of its heads on "
                    + "average over its %d seeds) and lazy attention has none with any seed: the claim holds here.",
                    100 * rateSoft, softRates.length)
                    : "Softmax has a sink and lazy attention has none: the claim holds here.")
                    + (fewest < SINK_RATE_TARGET ? String.format(Locale.ROOT, " How many heads sink depends on the "
                    + "seed: %.0f%% with the fewest.", 100 * fewest) : "");
        } else {
            verdict = "Lazy attention keeps sinks in some heads: the claim does not hold here.";
        }
        md.append(String.format(Locale.ROOT, "1. **Attention sink removed.** Heads with a sink (mean weight on the first token "
                        + "> 0.3): softmax %.0f%%, lazy %.0f%%%s. Mean weight on the first token: softmax %.4f, lazy %.4f"
                        + "%s.%s %s%n",
                100 * softmax.value("sinkRate"), 100 * rateLazy, otherRates(runs), softmax.value("sinkMass"),
                lazy.value("sinkMass"),
                otherMasses(runs), sinkRatesPerSeed(runs), verdict));
        double sparsity = lazy.value("sparsity");
        md.append(String.format(Locale.ROOT, "2. **Sparsity.** %.1f%% of the causal attention weights of the lazy model "
                        + "are exactly 0 (softmax: %.1f%%); the paper reports up to %.2f%%. %s%n",
                100 * sparsity, 100 * softmax.value("sparsity"), 100 * PAPER_SPARSITY,
                sparsity >= 0.1 ? "Tens of percent, as the paper leads us to expect."
                        : "Far below the paper's figure; see the sparsity-over-training picture."));
        int lazySeeds = values(runs, "lazy", "sinkRate").length;
        String means = lazySeeds > 1 && softRates.length > 1
                ? String.format(Locale.ROOT, " (mean of %d and %d seeds)", lazySeeds, softRates.length) : "";
        md.append("3. **Quality** (bits per byte within 2% of softmax). ").append(quality("validation text" + means,
                meanBitsPerByte(runs, "lazy", false), meanBitsPerByte(runs, "softmax", false)));
        if (!Double.isNaN(lazy.heldOut("bitsPerByte"))) {
            md.append(" ").append(quality("held-out text" + means, meanBitsPerByte(runs, "lazy", true),
                    meanBitsPerByte(runs, "softmax", true)));
        }
        md.append('\n');
        String seeds = seeds(runs);
        if (!seeds.isEmpty()) {
            md.append("4. **Seeds.** ").append(seeds).append('\n');
        }
        StringBuilder baselines = new StringBuilder();
        for (String id : new String[] {"off_by_one", "learned_sink", "gated"}) {
            Run r = find(runs, id);
            if (r != null) {
                baselines.append(String.format(Locale.ROOT, " %s: %.4f bits per byte (%+.2f%% against softmax), sink mass %.4f, "
                                + "sinkRate %.0f%%, sparsity %.1f%%", id, r.value("bitsPerByte"),
                        change(r.value("bitsPerByte"), softmax.value("bitsPerByte")), r.value("sinkMass"),
                        100 * r.value("sinkRate"), 100 * r.value("sparsity")));
                // Off-by-one rows sum to less than 1: the rest goes to the implicit key of score 0 and value 0.
                // A learned sink's rows leave the rest to its key of score s_h.
                baselines.append(!id.equals("gated")
                        ? String.format(Locale.ROOT, ", %.1f%% of each row's weight left to the %s.",
                                100 * (1 - r.value("survivingMass")),
                                id.equals("off_by_one") ? "implicit zero key" : "learned sink key")
                        : " (of the weights before the gate).");
            }
        }
        if (baselines.length() > 0) {
            md.append("5. **Other ways to attend to nothing.**").append(baselines).append('\n');
        }
        Run biasOnly = find(runs, "bias_only");
        Run elasticOnly = find(runs, "elastic_only");
        if (biasOnly != null && elasticOnly != null) {
            md.append(String.format(Locale.ROOT, "6. **Ablations.** Distance bias alone: %.4f bits per byte, sink mass %.4f, "
                            + "sinkRate %.0f%%, sparsity %.1f%%. Elastic-Softmax alone: %.4f bits per byte, sink mass %.4f, "
                            + "sinkRate %.0f%%, sparsity %.1f%%.%n",
                    biasOnly.value("bitsPerByte"), biasOnly.value("sinkMass"), 100 * biasOnly.value("sinkRate"),
                    100 * biasOnly.value("sparsity"), elasticOnly.value("bitsPerByte"), elasticOnly.value("sinkMass"),
                    100 * elasticOnly.value("sinkRate"), 100 * elasticOnly.value("sparsity")));
        }
        String collapse = collapseClaim(runs);
        if (!collapse.isEmpty()) {
            md.append("7. **Representational collapse** (mean pairwise cosine of a window's token states after each "
                    + "layer, validation text; 1 is total collapse). ").append(collapse).append('\n');
        }
        md.append(rivalsTable(runs, rateSoft));
        return md.toString();
    }

    /** " Per seed: softmax 38% / 25%, lazy 0% / 0%." for the variants run with several seeds, else "". */
    private static String sinkRatesPerSeed(List<Run> runs) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, List<Run>> e : bySeed(runs).entrySet()) {
            List<String> rates = new ArrayList<>();
            for (Run r : e.getValue()) {
                rates.add(String.format(Locale.ROOT, "%.0f%%", 100 * r.value("sinkRate")));
            }
            parts.add(e.getKey() + " " + String.join(" / ", rates));
        }
        if (parts.isEmpty()) {
            return "";
        }
        List<String> masses = new ArrayList<>();
        for (Map.Entry<String, List<Run>> e : bySeed(runs).entrySet()) {
            masses.add(e.getKey() + " " + String.join(" / ", e.getValue().stream()
                    .map(r -> String.format(Locale.ROOT, "%.4f", r.value("sinkMass"))).toList()));
        }
        return " Heads with a sink per seed: " + String.join(", ", parts) + "; mean weight on the first token per seed: "
                + String.join(", ", masses) + ".";
    }

    /** The runs of each variant that ran with more than one seed, the experiment's seed first. */
    private static Map<String, List<Run>> bySeed(List<Run> runs) {
        Map<String, List<Run>> byVariant = new LinkedHashMap<>();
        for (Run r : runs) {
            byVariant.computeIfAbsent(r.variant().id(), k -> new ArrayList<>()).add(r);
        }
        byVariant.values().removeIf(list -> list.size() < 2);
        return byVariant;
    }

    /** A per-layer array of an evaluation (validation text), or null when the run has none. */
    static double[] layerArray(Run r, String key) {
        JsonElement e = r.eval().get(key);
        if (e == null || !e.isJsonArray()) {
            return null;
        }
        JsonArray a = e.getAsJsonArray();
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsDouble();
        }
        return out;
    }

    /** Per layer: the mean over a variant's seeds ([0]) and the seed-to-seed range ([1], 0 with one seed). */
    private static double[][] meanAndRange(List<Run> runs, String variant, String key) {
        List<double[]> values = new ArrayList<>();
        for (Run r : runs) {
            double[] v = r.variant().id().equals(variant) ? layerArray(r, key) : null;
            if (v != null) {
                values.add(v);
            }
        }
        if (values.isEmpty()) {
            return null;
        }
        int layers = values.get(0).length;
        double[][] out = new double[2][layers];
        for (int l = 0; l < layers; l++) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (double[] v : values) {
                out[0][l] += v[l] / values.size();
                lo = Math.min(lo, v[l]);
                hi = Math.max(hi, v[l]);
            }
            out[1][l] = hi - lo;
        }
        return out;
    }

    /**
     * Lazy against softmax, layer by layer: a layer counts as less (more) collapsed when lazy's mean cosine,
     * averaged over seeds, is lower (higher) than softmax's by more than the larger seed-to-seed range; with one
     * seed each, any difference counts and the sentence says the spread is unknown.
     */
    static String collapseClaim(List<Run> runs) {
        double[][] lazy = meanAndRange(runs, "lazy", "meanCosine");
        double[][] softmax = meanAndRange(runs, "softmax", "meanCosine");
        if (lazy == null || softmax == null) {
            return "";
        }
        int layers = lazy[0].length;
        int less = 0;
        int more = 0;
        List<String> rows = new ArrayList<>();
        boolean seeds = false; // whether any variant ran with several seeds
        for (int l = 0; l < layers; l++) {
            seeds |= Math.max(lazy[1][l], softmax[1][l]) > 0;
        }
        for (int l = 0; l < layers; l++) {
            double spread = Math.max(lazy[1][l], softmax[1][l]);
            double d = lazy[0][l] - softmax[0][l];
            if (d < -spread) {
                less++;
            } else if (d > spread) {
                more++;
            }
            rows.add(String.format(Locale.ROOT, "layer %d: lazy %.3f, softmax %.3f", l, lazy[0][l], softmax[0][l])
                    + (seeds ? String.format(Locale.ROOT, " (seed range %.3f)", spread) : ""));
        }
        StringBuilder sb = new StringBuilder(String.join("; ", rows)).append(". ");
        for (String id : new String[] {"off_by_one", "learned_sink", "gated", "bias_only", "elastic_only"}) {
            double[][] v = meanAndRange(runs, id, "meanCosine");
            if (v != null) {
                List<String> values = new ArrayList<>();
                for (double x : v[0]) {
                    values.add(String.format(Locale.ROOT, "%.3f", x));
                }
                sb.append(id).append(' ').append(String.join(" / ", values)).append("; ");
            }
        }
        String verdict;
        if (less == layers) {
            verdict = "lazy is less collapsed than softmax in every layer";
        } else if (more == layers) {
            verdict = "lazy is more collapsed than softmax in every layer: the claim does not hold here";
        } else {
            verdict = String.format(Locale.ROOT, "lazy is less collapsed in %d of %d layers and more collapsed in %d", less,
                    layers, more);
        }
        return sb.append(String.format(Locale.ROOT, "%s%s.", verdict,
                seeds ? " (differences within the seed range count as neither)" : " (one seed each: the spread is unknown)"))
                .toString();
    }

    /**
     * Which of the paper's claims each variant achieves on this run: no head with a sink (when softmax has sinks),
     * at least 10% exact zeros, bits per byte within 2% of softmax or better, and a lower mean cosine than
     * softmax averaged over layers, by more than the larger seed-to-seed range.
     */
    static String rivalsTable(List<Run> runs, double softmaxSinkRate) {
        Run softmax = find(runs, "softmax");
        double[][] softCos = meanAndRange(runs, "softmax", "meanCosine");
        StringBuilder md = new StringBuilder();
        for (String id : new String[] {"lazy", "off_by_one", "learned_sink", "gated", "bias_only", "elastic_only"}) {
            Run r = find(runs, id);
            if (r == null) {
                continue;
            }
            String sink = softmaxSinkRate < SINK_RATE_TARGET ? "untested"
                    : (r.value("sinkRate") == 0 ? "yes" : "no") + String.format(Locale.ROOT, " (%.0f%%)", 100 * r.value("sinkRate"));
            String sparse = (r.value("sparsity") >= 0.1 ? "yes" : "no")
                    + String.format(Locale.ROOT, " (%.1f%%)", 100 * r.value("sparsity"));
            double c = change(r.value("bitsPerByte"), softmax.value("bitsPerByte"));
            String quality = (c <= 100 * QUALITY_TOLERANCE ? "yes" : "no") + String.format(Locale.ROOT, " (%+.2f%%)", c);
            double[][] cos = meanAndRange(runs, id, "meanCosine");
            String collapse = "-";
            if (cos != null && softCos != null) {
                double mine = mean(cos[0]);
                double theirs = mean(softCos[0]);
                double spread = 0; // the larger seed-to-seed range, averaged over layers
                for (int l = 0; l < cos[1].length; l++) {
                    spread += Math.max(cos[1][l], softCos[1][l]) / cos[1].length;
                }
                collapse = (mine < theirs - spread ? "yes" : mine > theirs + spread ? "no" : "within the seed range")
                        + String.format(Locale.ROOT, " (%.3f against %.3f)", mine, theirs);
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", id, sink, sparse, quality, collapse));
        }
        if (md.length() == 0) {
            return "";
        }
        return "8. **Which claims each variant achieves** (sink: no head above 0.3 on the first token where softmax has "
                + "sinks in at least 25% of its heads; sparse: at least 10% exact zeros; quality: validation bits per byte "
                + "at most 2% above softmax; less collapse: mean cosine averaged over layers and seeds below softmax's "
                + "by more than the larger seed-to-seed range, averaged over layers):\n\n| variant | sink removed | sparse | quality | less collapse |\n|---|---|---|---|---|\n" + md;
    }

    /** {@code key} of every run of {@code variant}, every seed's. */
    private static double[] values(List<Run> runs, String variant, String key) {
        return runs.stream().filter(r -> r.variant().id().equals(variant)).mapToDouble(r -> r.value(key)).toArray();
    }

    /** Bits per byte of {@code variant} averaged over its seeds (one run: that run's). */
    private static double meanBitsPerByte(List<Run> runs, String variant, boolean heldOut) {
        return runs.stream().filter(r -> r.variant().id().equals(variant)).mapToDouble(r -> bitsPerByte(r, heldOut))
                .average().orElse(Double.NaN);
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return sum / v.length;
    }

    private static String otherRates(List<Run> runs) {
        StringBuilder sb = new StringBuilder();
        for (String id : new String[] {"off_by_one", "learned_sink", "gated", "bias_only", "elastic_only"}) {
            Run r = find(runs, id);
            if (r != null) {
                sb.append(String.format(Locale.ROOT, ", %s %.0f%%", id, 100 * r.value("sinkRate")));
            }
        }
        return sb.toString();
    }

    private static String otherMasses(List<Run> runs) {
        StringBuilder sb = new StringBuilder();
        for (String id : new String[] {"off_by_one", "learned_sink", "gated"}) {
            Run r = find(runs, id);
            if (r != null) {
                sb.append(String.format(Locale.ROOT, ", %s %.4f", id, r.value("sinkMass")));
            }
        }
        return sb.toString();
    }

    private static String quality(String what, double lazy, double softmax) {
        double c = change(lazy, softmax);
        return String.format(Locale.ROOT, "On the %s: %.4f (lazy) against %.4f (softmax), %+.2f%%: %s.", what, lazy,
                softmax, c, Math.abs(c) <= 100 * QUALITY_TOLERANCE ? "holds"
                        : c < 0 ? "lazy is more than 2% better" : "does not hold, lazy is more than 2% worse");
    }

    private static double change(double value, double reference) {
        return 100 * (value - reference) / reference;
    }

    /** Bits per byte of a run on the validation text, or on the held-out text. */
    private static double bitsPerByte(Run r, boolean heldOut) {
        return heldOut ? r.heldOut("bitsPerByte") : r.value("bitsPerByte");
    }

    /**
     * For each variant run with several seeds, its bits per byte per seed and their range; then whether the
     * lazy-softmax difference exceeds the larger of the two ranges. On the validation text, and on the held-out
     * text when there is one.
     */
    private static String seeds(List<Run> runs) {
        String validation = seeds(runs, false);
        if (validation.isEmpty() || Double.isNaN(runs.get(0).heldOut("bitsPerByte"))) {
            return validation;
        }
        return "Validation text: " + validation + " Held-out text: " + seeds(runs, true);
    }

    private static String seeds(List<Run> runs, boolean heldOut) {
        StringBuilder sb = new StringBuilder();
        Map<String, double[]> ranges = new LinkedHashMap<>();
        for (Map.Entry<String, List<Run>> e : bySeed(runs).entrySet()) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            double sum = 0;
            List<String> values = new ArrayList<>();
            for (Run r : e.getValue()) {
                double v = bitsPerByte(r, heldOut);
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
                sum += v;
                values.add(String.format(Locale.ROOT, "%.4f (seed %d)", v, r.spec().seed()));
            }
            ranges.put(e.getKey(), new double[] {lo, hi, sum / e.getValue().size()});
            sb.append(String.format(Locale.ROOT, "%s: %s, a seed-to-seed range of %.4f. ", e.getKey(),
                    String.join(", ", values), hi - lo));
        }
        double[] lazy = ranges.get("lazy");
        double[] softmax = ranges.get("softmax");
        if (lazy != null && softmax != null) {
            double difference = lazy[2] - softmax[2];
            double spread = Math.max(lazy[1] - lazy[0], softmax[1] - softmax[0]);
            sb.append(String.format(Locale.ROOT, "Mean lazy minus mean softmax: %+.4f bits per byte, %s the larger "
                            + "seed-to-seed range (%.4f)%s.", difference,
                    Math.abs(difference) > spread ? "larger than" : "within", spread,
                    Math.abs(difference) > spread
                            ? (difference < 0 ? ": lazy is better by more than the seeds vary" : ": lazy is worse by more than the seeds vary")
                            : ": the seeds cannot tell the two apart on quality"));
        }
        return sb.toString().trim();
    }

    private static Run find(List<Run> runs, String id) {
        return runs.stream().filter(r -> r.id().equals(id)).findFirst().orElse(null);
    }

    private static String fixed(double v, String pattern) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, pattern, v);
    }

    private static String percent(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static String names(JsonArray files) {
        List<String> n = new ArrayList<>();
        for (JsonElement e : files) {
            n.add(Path.of(e.getAsString()).getFileName().toString());
        }
        return String.join(", ", n);
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}

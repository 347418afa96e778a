package dev.lazyattention.cli;

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
        "sparsity_per_layer.png", "tau.png", "distance_bias.png", "attention_maps.png"};
    /** Paper's reported maximum attention sparsity. */
    static final double PAPER_SPARSITY = 0.5958;

    private ExperimentReport() {}

    /** Everything known about one variant's run. */
    private record Run(AttentionVariant variant, JsonObject eval, List<JsonObject> metrics, Path model) {
        String id() {
            return variant.id();
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

    static void write(Path out, List<AttentionVariant> variants) throws IOException {
        JsonObject setup = JsonParser.parseString(read(out.resolve(SETUP_FILE))).getAsJsonObject();
        List<Run> runs = new ArrayList<>();
        for (AttentionVariant v : variants) {
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
        Map<String, double[]> perLayer = new LinkedHashMap<>();
        for (Run r : runs) {
            JsonArray a = r.eval().getAsJsonArray("sparsityPerLayer");
            double[] v = new double[layers];
            for (int l = 0; l < layers; l++) {
                v[l] = a.get(l).getAsDouble();
            }
            perLayer.put(r.id(), v);
        }
        Charts.bars(out.resolve("sparsity_per_layer.png"), "Attention sparsity per layer (validation text)", "layer",
                "share of exactly-zero causal weights", layerNames, perLayer);

        drawTau(out.resolve("tau.png"), taus);
        drawBias(out.resolve("distance_bias.png"), biases);
        drawAttentionMaps(out.resolve("attention_maps.png"), setup, runs);
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

    /** Softmax against lazy attention on one validation passage: first, middle and last layer, four heads. */
    private static void drawAttentionMaps(Path file, JsonObject setup, List<Run> runs) throws IOException {
        List<Run> shown = new ArrayList<>();
        for (String id : new String[] {"softmax", "lazy"}) {
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
                for (int layer : new int[] {0, layers / 2, layers - 1}) {
                    float[] a = out.attentionWeights().get(layer).toFloatArray(); // [1, H, n, n]
                    JFreeChart[] row = new JFreeChart[heads];
                    for (int h = 0; h < heads; h++) {
                        double[][] m = new double[n][n];
                        for (int i = 0; i < n; i++) {
                            for (int j = 0; j < n; j++) {
                                m[i][j] = a[(h * n + i) * n + j];
                            }
                        }
                        row[h] = Charts.heatmap(r.id() + ", layer " + layer + ", head " + h, "key", "query", m, scale,
                                false);
                    }
                    rows.add(row);
                }
            }
        }
        Charts.grid(file, "Attention weights A on one validation passage (key 0 is the first token; colour ~ weight^0.4)",
                rows.toArray(new JFreeChart[0][]), 230, scale, "weight");
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
        md.append(String.format(Locale.ROOT, "- Every variant: the same byte-level BPE tokenizer, seed %d, data order and "
                        + "schedule; %d steps of %d x %d windows; peak learning rate %s",
                setup.get("seed").getAsLong(), setup.get("steps").getAsInt(), setup.get("batchSize").getAsInt(),
                setup.get("gradientAccumulation").getAsInt(), setup.get("learningRate").getAsString()));
        if (setup.has("startToken")) { // absent from the setup of runs made before these were recorded
            md.append(String.format(Locale.ROOT, "; weight decay %s; context %d; start token %s",
                    setup.get("weightDecay").getAsString(), setup.get("contextLength").getAsInt(),
                    setup.get("startToken").getAsBoolean() ? "on (<|endoftext|> at position 0 of every window)" : "off"));
        }
        md.append(String.format(Locale.ROOT, "%n%n"));
        md.append("| variant | parameters | valid loss | perplexity | bits/byte | sparsity | sinkMass | sinkRate "
                + "| survivingMass | PIQA acc | PIQA acc_norm | train tokens/s |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Run r : runs) {
            md.append(String.format(Locale.ROOT, "| %s | %,d | %.4f | %.2f | %.4f | %.1f%% | %.4f | %.2f | %.3f | %s | %s | %,.0f |%n",
                    r.id(), (long) r.value("parameters"), r.value("loss"), r.value("perplexity"), r.value("bitsPerByte"),
                    100 * r.value("sparsity"), r.value("sinkMass"), r.value("sinkRate"), r.value("survivingMass"),
                    percent(r.value("piqaAcc")), percent(r.value("piqaAccNorm")), r.lastTrain("tokensPerSecond")));
        }
        md.append("\nPIQA: 1,838 two-choice items; chance is 50%. sinkRate: share of (layer, head) pairs whose mean "
                + "weight on the first token exceeds 0.3.\n\n");
        md.append(claims(runs));
        md.append("\n## Pictures\n\n");
        String[] captions = {"Validation loss of every variant", "Sparsity of the attention weights over training",
            "Weight on the first token (the attention sink) over training", "Sparsity per layer",
            "Learned tau per layer and head", "Learned distance bias per head and layer",
            "Attention maps, softmax against lazy, on one validation passage"};
        for (int i = 0; i < PICTURES.length; i++) {
            md.append("### ").append(captions[i]).append("\n\n![").append(captions[i]).append("](")
                    .append(PICTURES[i]).append(")\n\n");
        }
        return md.toString();
    }

    /** The paper's three claims, each checked against the numbers measured here. */
    private static String claims(List<Run> runs) {
        Run lazy = find(runs, "lazy");
        Run softmax = find(runs, "softmax");
        StringBuilder md = new StringBuilder("## The paper's claims on this run\n\n");
        if (lazy == null || softmax == null) {
            return md.append("The comparison needs both the lazy and the softmax variant.\n").toString();
        }
        double sinkLazy = lazy.value("sinkMass");
        double sinkSoft = softmax.value("sinkMass");
        md.append(String.format(Locale.ROOT, "1. **Attention sink.** Mean weight on the first token: %.4f with lazy "
                        + "attention, %.4f with softmax (%s). Heads with a sink (mean > 0.3): %.0f%% against %.0f%%. %s%n",
                sinkLazy, sinkSoft, sinkSoft > 0 ? String.format(Locale.ROOT, "%.1fx less", sinkSoft / Math.max(sinkLazy, 1e-12)) : "no sink to remove",
                100 * lazy.value("sinkRate"), 100 * softmax.value("sinkRate"),
                sinkLazy < 0.5 * sinkSoft ? "The claim holds here." : "The claim does not hold here."));
        double sparsity = lazy.value("sparsity");
        md.append(String.format(Locale.ROOT, "2. **Sparsity.** %.1f%% of the causal attention weights of the lazy model "
                        + "are exactly 0 (softmax: %.1f%%); the paper reports up to %.2f%%. %s%n",
                100 * sparsity, 100 * softmax.value("sparsity"), 100 * PAPER_SPARSITY,
                sparsity >= 0.1 ? "Tens of percent, as the paper leads us to expect."
                        : "Far below the paper's figure; see the sparsity-over-training picture."));
        double bpbLazy = lazy.value("bitsPerByte");
        double bpbSoft = softmax.value("bitsPerByte");
        double change = 100 * (bpbLazy - bpbSoft) / bpbSoft;
        md.append(String.format(Locale.ROOT, "3. **Quality.** Bits per byte %.4f (lazy) against %.4f (softmax): %+.2f%%. %s%n",
                bpbLazy, bpbSoft, change, Math.abs(change) <= 3 ? "Within a few percent, as claimed."
                        : change < 0 ? "Lazy attention is clearly better here." : "Lazy attention is clearly worse here."));
        Run biasOnly = find(runs, "bias_only");
        Run elasticOnly = find(runs, "elastic_only");
        if (biasOnly != null && elasticOnly != null) {
            md.append(String.format(Locale.ROOT, "4. **Ablations.** Distance bias alone: %.4f bits per byte, sink mass %.4f, "
                            + "sparsity %.1f%%. Elastic-Softmax alone: %.4f bits per byte, sink mass %.4f, sparsity %.1f%%.%n",
                    biasOnly.value("bitsPerByte"), biasOnly.value("sinkMass"), 100 * biasOnly.value("sparsity"),
                    elasticOnly.value("bitsPerByte"), elasticOnly.value("sinkMass"), 100 * elasticOnly.value("sparsity")));
        }
        return md.toString();
    }

    private static Run find(List<Run> runs, String id) {
        return runs.stream().filter(r -> r.id().equals(id)).findFirst().orElse(null);
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

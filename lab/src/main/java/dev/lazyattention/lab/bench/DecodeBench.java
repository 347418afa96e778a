package dev.lazyattention.lab.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionContext;
import dev.lazyattention.attention.CachedKeyValues;
import dev.lazyattention.generate.ArrayDecoder;
import dev.lazyattention.generate.DecoderWeights;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.model.LmOutput;
import dev.lazyattention.util.Tensors;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bench's decode phase: greedy decoding with a KV cache, batch 1, timed on the decode steps themselves
 * (the prompt's pass is timed apart), on the engine and on the {@link ArrayDecoder}; the engine's calls per
 * step and their cost; the decoder's weight traffic at 1 and 2 threads against this machine's streaming read
 * rate at as many threads; and, for a given model, dense against sparse attention at long contexts. Every
 * figure is a {@link Spread} of repetitions.
 */
final class DecodeBench {

    /** Decode steps timed per repetition. */
    static final int STEPS = 64;

    private final int repetitions;

    DecodeBench(int repetitions) {
        this.repetitions = repetitions;
    }

    /** Engine against arrays for {@code lm} with a prompt that leaves {@link #STEPS} positions of its context. */
    Map<String, Object> engineAgainstArrays(LazyLanguageModel lm, int[] prompt) {
        Map<String, Object> v = new LinkedHashMap<>();
        int context = lm.config().contextLength();
        v.put("context", context);
        v.put("promptTokens", prompt.length);
        v.put("newTokens", STEPS);
        List<Double> prefill = new ArrayList<>();
        List<Double> engine = new ArrayList<>();
        List<Double> arrays = new ArrayList<>();
        List<Double> twoThreads = new ArrayList<>();
        List<List<Double>> stream = new ArrayList<>();
        for (int ignored : STREAM_THREADS) {
            stream.add(new ArrayList<>());
        }
        int[] engineTokens = null;
        int[] arrayTokens = null;
        boolean sameTwoThreadTokens = true;
        DecoderWeights weights = DecoderWeights.of(lm);
        ArrayDecoder decoder = new ArrayDecoder(weights, context, false); // dense, as Generator decodes
        ArrayDecoder split = new ArrayDecoder(weights, context, false, 2); // one worker thread for every repetition
        for (int r = 0; r <= repetitions; r++) { // repetition 0 warms up
            EngineRun run = engineDecode(lm, prompt, STEPS, decoder);
            copyCache(lm.config(), decoder, split);
            ArrayRun two = arrayDecode(split, run.firstToken, STEPS, lm.config().vocabSize());
            ArrayRun a = arrayDecode(decoder, run.firstToken, STEPS, lm.config().vocabSize());
            double[] streamRates = new double[STREAM_THREADS.length];
            for (int t = 0; t < STREAM_THREADS.length; t++) { // beside the decode it is compared with: the same load
                streamRates[t] = streamOnce(STREAM_THREADS[t]);
            }
            if (r > 0) {
                for (int t = 0; t < STREAM_THREADS.length; t++) {
                    stream.get(t).add(streamRates[t]);
                }
                prefill.add(run.prefillSeconds);
                engine.add(STEPS / run.decodeSeconds);
                arrays.add(STEPS / a.seconds);
                twoThreads.add(STEPS / two.seconds);
            }
            engineTokens = run.tokens;
            arrayTokens = a.tokens;
            sameTwoThreadTokens &= java.util.Arrays.equals(a.tokens, two.tokens);
        }
        split.close();
        Spread arraysRate = Spread.of(arrays);
        v.put("prefillSeconds", Spread.of(prefill).toMap());
        v.put("engineTokensPerSecond", Spread.of(engine).toMap());
        v.put("arrayTokensPerSecond", arraysRate.toMap());
        v.put("arrayOverEngine", arraysRate.median() / Spread.of(engine).median());
        v.put("arrayTwoThreadsTokensPerSecond", Spread.of(twoThreads).toMap());
        v.put("sameGreedyTokens", java.util.Arrays.equals(engineTokens, arrayTokens) && sameTwoThreadTokens);
        long bytes = weightBytesPerToken(lm.config());
        v.put("weightBytesPerToken", bytes);
        // Each decoder thread count against the read rate of as many threads: two threads may read faster
        // than one, and the decoder with two is bound by that rate, not by one thread's.
        Map<String, Double> decodeRates = Map.of("threads1", arraysRate.median(),
                "threads2", Spread.of(twoThreads).median());
        Map<String, Object> streamRates = new LinkedHashMap<>();
        Map<String, Object> roofline = new LinkedHashMap<>();
        for (int t = 0; t < STREAM_THREADS.length; t++) {
            String key = "threads" + STREAM_THREADS[t];
            Spread read = Spread.of(stream.get(t));
            double achieved = bytes * decodeRates.get(key);
            streamRates.put(key, read.toMap());
            roofline.put(key, String.format(java.util.Locale.ROOT, "%.2f GB/s of %.2f GB/s (%.0f%%)",
                    achieved / 1e9, read.median() / 1e9, 100 * achieved / read.median()));
        }
        v.put("streamingReadBytesPerSecond", streamRates);
        v.put("roofline", roofline);
        Map<String, Object> calls = engineCallsPerStep(lm, prompt);
        if (calls.get("callsPerStep") instanceof Double n) {
            calls.put("engineStepMicrosecondsPerCall", 1e6 / Spread.of(engine).median() / n);
        }
        v.put("engineCallsPerStep", calls);
        return v;
    }

    private record EngineRun(double prefillSeconds, double decodeSeconds, int firstToken, int[] tokens) {}

    private record ArrayRun(double seconds, int[] tokens) {}

    /**
     * The prompt's pass, then {@code steps} one-token passes with the engine's KV cache; the prompt's keys and
     * values also go to {@code decoder}.
     */
    private static EngineRun engineDecode(LazyLanguageModel lm, int[] prompt, int steps, ArrayDecoder decoder) {
        int[] tokens = new int[steps];
        try (NDManager generation = lm.newManager()) {
            ParameterStore ps = lm.parameterStore(generation);
            long start = System.nanoTime();
            List<CachedKeyValues> cache;
            int next;
            try (NDManager step = generation.newSubManager()) {
                LmOutput out = lm.block().forward(ps, ids(step, prompt), null,
                        AttentionContext.builder(step, 1, prompt.length).build(), false);
                next = argmax(lastRow(out.logits()));
                cache = keep(out, generation);
            }
            double prefill = (System.nanoTime() - start) / 1e9;
            handOver(cache, decoder, prompt.length);
            int position = prompt.length;
            long decodeStart = System.nanoTime();
            int first = next;
            for (int s = 0; s < steps; s++) {
                tokens[s] = next;
                try (NDManager step = generation.newSubManager()) {
                    LmOutput out = lm.block().forward(ps, ids(step, new int[] {next}), cache,
                            AttentionContext.builder(step, 1, 1).optPastLength(position).build(), false);
                    next = argmax(lastRow(out.logits()));
                    List<CachedKeyValues> kept = keep(out, generation);
                    close(cache);
                    cache = kept;
                }
                position++;
            }
            return new EngineRun(prefill, (System.nanoTime() - decodeStart) / 1e9, first, tokens);
        }
    }

    /**
     * DJL's {@code TextGenerator} (greedy search) on the model file, with three predictors of the same model:
     * {@code engine}, DJL's plain predictor, which passes the KV cache as NDArrays to the block at every step,
     * and {@code arrayDecoder} ({@code arrayDecoderTwoThreads}), {@link dev.lazyattention.generate.ArrayDecodingPredictor}
     * with one (two) decoder threads, which runs the one-token steps on the array decoder. Each step's predictor
     * call is timed by DJL's own metrics ({@code Preprocess}, {@code Inference}, {@code Postprocess}); the first
     * call (the prompt's) is left out. The search's own work between calls (argmax, concatenation) is not in that
     * figure; the whole search's wall time, prompt included, is. {@code sameTokens}: whether all three gave the
     * same ids.
     */
    Map<String, Object> textGenerator(Path modelFile, int[] prompt) throws Exception {
        ai.djl.repository.zoo.Criteria<ai.djl.ndarray.NDList, ai.djl.modality.nlp.generate.CausalLMOutput> criteria =
                ai.djl.repository.zoo.Criteria.builder()
                        .setTypes(ai.djl.ndarray.NDList.class, ai.djl.modality.nlp.generate.CausalLMOutput.class)
                        .optModelPath(modelFile)
                        .optTranslatorFactory(new dev.lazyattention.serving.LazyLmTranslatorFactory())
                        .build();
        Map<String, Object> v = new LinkedHashMap<>();
        List<long[]> outputs = new ArrayList<>();
        try (var model = criteria.loadModel(); NDManager manager = NDManager.newBaseManager()) {
            ai.djl.modality.nlp.generate.SearchConfig config = new ai.djl.modality.nlp.generate.SearchConfig();
            config.setMaxSeqLength(prompt.length + STEPS + 1);
            config.setPadTokenId(-1);
            long[] input = new long[prompt.length];
            for (int i = 0; i < prompt.length; i++) {
                input[i] = prompt[i];
            }
            for (String name : List.of("engine", "arrayDecoder", "arrayDecoderTwoThreads")) {
                List<Double> rates = new ArrayList<>();
                List<Double> wall = new ArrayList<>();
                long[] ids = null;
                try (ai.djl.inference.Predictor<ai.djl.ndarray.NDList, ai.djl.modality.nlp.generate.CausalLMOutput>
                        predictor = name.equals("engine") ? model.newPredictor()
                                : dev.lazyattention.generate.ArrayDecodingPredictor.of(model,
                                        name.equals("arrayDecoder") ? 1 : 2)) {
                    for (int r = 0; r <= repetitions; r++) {
                        ai.djl.metric.Metrics metrics = new ai.djl.metric.Metrics();
                        predictor.setMetrics(metrics);
                        long start = System.nanoTime();
                        try (NDArray out = new ai.djl.modality.nlp.generate.TextGenerator(predictor, "greedy", config)
                                .greedySearch(manager.create(input, new Shape(1, input.length)))) {
                            ids = out.toLongArray(); // [1, prompt + STEPS]
                        }
                        double seconds = (System.nanoTime() - start) / 1e9;
                        double[] perCall = null;
                        for (String metric : List.of("Preprocess", "Inference", "Postprocess")) {
                            List<ai.djl.metric.Metric> m =
                                    metrics.hasMetric(metric) ? metrics.getMetric(metric) : List.of();
                            if (perCall == null) {
                                perCall = new double[m.size()];
                            }
                            for (int i = 0; i < Math.min(m.size(), perCall.length); i++) {
                                perCall[i] += m.get(i).getValue().doubleValue();
                            }
                        }
                        double stepMicros = 0;
                        for (int i = 1; i < perCall.length; i++) {
                            stepMicros += perCall[i];
                        }
                        if (r > 0 && perCall.length > 1) { // repetition 0 warms up
                            rates.add((perCall.length - 1) / (stepMicros / 1e6));
                            wall.add(seconds);
                        }
                    }
                    Map<String, Object> run = new LinkedHashMap<>();
                    run.put("stepTokensPerSecond", Spread.of(rates).toMap());
                    run.put("wholeSearchSeconds", Spread.of(wall).toMap());
                    if (predictor instanceof dev.lazyattention.generate.ArrayDecodingPredictor) {
                        var arrays = (dev.lazyattention.generate.ArrayDecodingPredictor) predictor;
                        run.put("stepsOnArrays", arrays.arraySteps());
                        run.put("decoderThreads", arrays.decoderThreads());
                        if (arrays.arrayDecoderRefusal() != null) {
                            run.put("refusal", arrays.arrayDecoderRefusal());
                        }
                    }
                    v.put(name, run);
                }
                outputs.add(ids);
            }
        }
        boolean same = true;
        for (long[] ids : outputs) {
            same &= java.util.Arrays.equals(outputs.get(0), ids);
        }
        v.put("sameTokens", same);
        return v;
    }

    /** {@code steps} greedy steps on the decoder, whose cache holds the prompt, from {@code first}. */
    private static ArrayRun arrayDecode(ArrayDecoder decoder, int first, int steps, int vocab) {
        int[] tokens = new int[steps];
        float[] logits = new float[vocab];
        int next = first;
        long start = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            tokens[s] = next;
            decoder.step(next, logits);
            next = argmax(logits);
        }
        return new ArrayRun((System.nanoTime() - start) / 1e9, tokens);
    }

    /**
     * Engine operations per one-token pass, from libtorch's profiler: operations that run inside no other
     * operation (a linear layer counts once, not as its matrix product too), over 8 steps.
     */
    private Map<String, Object> engineCallsPerStep(LazyLanguageModel lm, int[] prompt) {
        Map<String, Object> v = new LinkedHashMap<>();
        int steps = 8;
        try {
            Path trace = Files.createTempFile("lazyattn-profile", ".json");
            libtorch("startProfile", new Class<?>[] {boolean.class, boolean.class, boolean.class}, false, false, false);
            long start = System.nanoTime();
            engineDecode(lm, prompt, steps, null);
            libtorch("stopProfile", new Class<?>[] {String.class}, trace.toString());
            // The prompt's pass is in the trace too: profile it alone and subtract.
            int withSteps = topLevelOperations(trace);
            libtorch("startProfile", new Class<?>[] {boolean.class, boolean.class, boolean.class}, false, false, false);
            engineDecode(lm, prompt, 0, null);
            libtorch("stopProfile", new Class<?>[] {String.class}, trace.toString());
            int promptOnly = topLevelOperations(trace);
            Files.deleteIfExists(trace);
            v.put("callsPerStep", (double) (withSteps - promptOnly) / steps);
        } catch (Exception | UnsatisfiedLinkError e) {
            v.put("callsPerStep", "not counted: " + e);
        }
        v.put("microsecondsPerCall", perCallMicros(lm));
        return v;
    }

    /**
     * A static method of the PyTorch engine's JNI bridge, found by reflection: the engine is a runtime
     * dependency of this module.
     */
    static Object libtorch(String method, Class<?>[] types, Object... args) throws ReflectiveOperationException {
        return Class.forName("ai.djl.pytorch.jni.JniUtils").getMethod(method, types).invoke(null, args);
    }

    /** Events of the trace that lie inside no other event of their thread. */
    private static int topLevelOperations(Path trace) throws java.io.IOException {
        JsonElement root = JsonParser.parseString(Files.readString(trace));
        JsonArray events = root.isJsonArray() ? root.getAsJsonArray() : root.getAsJsonObject().getAsJsonArray("traceEvents");
        Map<String, List<double[]>> byThread = new LinkedHashMap<>();
        for (JsonElement e : events) {
            JsonObject o = e.getAsJsonObject();
            if (!o.has("dur") || !o.has("ts")) {
                continue;
            }
            String tid = o.has("tid") ? o.get("tid").getAsString() : "";
            double ts = o.get("ts").getAsDouble();
            byThread.computeIfAbsent(tid, k -> new ArrayList<>()).add(new double[] {ts, ts + o.get("dur").getAsDouble()});
        }
        int count = 0;
        for (List<double[]> list : byThread.values()) {
            list.sort((a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(b[1], a[1]));
            double end = Double.NEGATIVE_INFINITY;
            for (double[] e : list) {
                if (e[0] >= end) {
                    count++;
                    end = e[1];
                } else {
                    end = Math.max(end, e[1]);
                }
            }
        }
        return count;
    }

    /** Median cost of one small engine call (an addition of two [1, 256] arrays, result closed), microseconds. */
    private Map<String, Object> perCallMicros(LazyLanguageModel lm) {
        List<Double> samples = new ArrayList<>();
        try (NDManager m = lm.newManager()) {
            NDArray a = m.ones(new Shape(1, 256));
            NDArray b = m.ones(new Shape(1, 256));
            int calls = 2000;
            for (int r = 0; r <= repetitions; r++) {
                long start = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    a.add(b).close();
                }
                if (r > 0) {
                    samples.add((System.nanoTime() - start) / 1e3 / calls);
                }
            }
        }
        return Spread.of(samples).toMap();
    }

    /**
     * Dense against sparse attention on the array decoder at each context: the decoder steps through {@code
     * text} (prefill on arrays) up to {@code context - STEPS} positions, then decodes {@link #STEPS} greedy
     * tokens from copies of that state, dense and sparse in turn.
     */
    Map<String, Object> sparseAgainstDense(LazyLanguageModel lm, int[] text, int[] contexts) {
        Map<String, Object> all = new LinkedHashMap<>();
        DecoderWeights weights = DecoderWeights.of(lm);
        int largest = contexts[contexts.length - 1];
        ArrayDecoder prefilled = new ArrayDecoder(weights, largest, false);
        int vocab = lm.config().vocabSize();
        for (int context : contexts) {
            if (text.length < context) {
                throw new IllegalArgumentException("the text has " + text.length + " tokens, fewer than " + context);
            }
            long start = System.nanoTime();
            while (prefilled.length() < context - STEPS - 1) {
                prefilled.step(text[prefilled.length()], null);
            }
            double prefillSeconds = (System.nanoTime() - start) / 1e9;
            float[] logits = new float[vocab];
            List<Double> dense = new ArrayList<>();
            List<Double> sparse = new ArrayList<>();
            double skipped = 0;
            double maxDifference = 0;
            // Dense and sparse step in turn, each step timed alone: on a shared machine both see the same load.
            float[] sparseLogits = new float[vocab];
            for (int r = 0; r <= repetitions; r++) {
                ArrayDecoder d = new ArrayDecoder(weights, largest, false, 1);
                ArrayDecoder s = new ArrayDecoder(weights, largest, true, 1);
                copyCache(lm.config(), prefilled, d);
                copyCache(lm.config(), prefilled, s);
                long denseNanos = 0;
                long sparseNanos = 0;
                int next = text[d.length()];
                for (int k = 0; k < STEPS; k++) {
                    long t0 = System.nanoTime();
                    d.step(next, logits);
                    long t1 = System.nanoTime();
                    s.step(next, sparseLogits);
                    long t2 = System.nanoTime();
                    denseNanos += t1 - t0;
                    sparseNanos += t2 - t1;
                    maxDifference = Math.max(maxDifference, maxLogProbabilityDifference(logits, sparseLogits));
                    next = argmax(logits);
                }
                if (r > 0) {
                    dense.add(STEPS / (denseNanos / 1e9));
                    sparse.add(STEPS / (sparseNanos / 1e9));
                    skipped = s.skippedValueRowShare();
                }
            }
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("arrayPrefillSeconds", prefillSeconds);
            v.put("denseTokensPerSecond", Spread.of(dense).toMap());
            v.put("sparseTokensPerSecond", Spread.of(sparse).toMap());
            v.put("sparseOverDense", Spread.of(sparse).median() / Spread.of(dense).median());
            v.put("skippedValueRowShare", skipped);
            v.put("maxLogProbabilityDifference", maxDifference);
            all.put(Integer.toString(context), v);
        }
        return all;
    }

    /** Thread counts the streaming read is measured with: those the array decoder is timed with. */
    static final int[] STREAM_THREADS = {1, 2};

    /** Two equal arrays of 64 MiB each: together far larger than any cache of the machine. */
    private final float[] big = filled(16 * 1024 * 1024);
    private final float[] twin = filled(16 * 1024 * 1024);

    private static float[] filled(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    /**
     * One read of both arrays by {@code threads} threads, in bytes per second: {@code Arrays.mismatch} of the two
     * equal arrays, which the JDK runs as a vectorised intrinsic (tens of GB/s on arrays that fit a cache), so
     * over 128 MiB it waits on memory, not on its own loop; a loop of Java arithmetic would measure itself (a
     * scalar sum reads at a fraction of this rate). The
     * threads wait at a common start, each compares its own contiguous share, and the time runs from the start
     * to the last finish: the rate the threads give together, as the decoder's threads work on a step together.
     */
    double streamOnce(int threads) {
        if (threads < 1 || big.length % threads != 0) {
            throw new IllegalArgumentException("the array of " + big.length + " floats does not split over "
                    + threads + " threads");
        }
        int share = big.length / threads;
        int[] found = new int[threads];
        long[] ends = new long[threads];
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(threads);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int mine = t;
            workers[t] = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                int from = mine * share;
                found[mine] = java.util.Arrays.mismatch(big, from, from + share, twin, from, from + share);
                ends[mine] = System.nanoTime();
            }, "lazyattn-stream-" + t);
            workers[t].start();
        }
        long start;
        try {
            ready.await();
            start = System.nanoTime();
            go.countDown();
            for (Thread w : workers) {
                w.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the arrays", e);
        }
        long last = start;
        for (int t = 0; t < threads; t++) {
            if (ends[t] == 0 || found[t] != -1) { // -1: every element compared, none differs
                throw new IllegalStateException("a streaming thread did not read its whole share");
            }
            last = Math.max(last, ends[t]);
        }
        return 2.0 * big.length * Float.BYTES / ((last - start) / 1e9);
    }

    private static double maxLogProbabilityDifference(float[] a, float[] b) {
        double la = logSumExp(a);
        double lb = logSumExp(b);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] - la) - (b[i] - lb)));
        }
        return max;
    }

    private static double logSumExp(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }

    private static NDArray ids(NDManager m, int[] tokens) {
        return Tensors.of(m, tokens, new Shape(1, tokens.length)).toType(ai.djl.ndarray.types.DataType.INT64, false); // [1, T]
    }

    private static float[] lastRow(NDArray logits) {
        long t = logits.getShape().get(1);
        return logits.get(new ai.djl.ndarray.index.NDIndex("0, {}", t - 1)).toFloatArray(); // [V]
    }

    private static List<CachedKeyValues> keep(LmOutput out, NDManager generation) {
        for (CachedKeyValues kv : out.present()) {
            kv.keys().attach(generation);
            kv.values().attach(generation);
        }
        return out.present();
    }

    private static void close(List<CachedKeyValues> cache) {
        for (CachedKeyValues kv : cache) {
            kv.keys().close();
            kv.values().close();
        }
    }

    private static void handOver(List<CachedKeyValues> cache, ArrayDecoder decoder, int positions) {
        if (decoder == null) {
            return;
        }
        float[][] k = new float[cache.size()][];
        float[][] v = new float[cache.size()][];
        for (int l = 0; l < cache.size(); l++) {
            k[l] = cache.get(l).keys().toFloatArray(); // [1, G, T, D]
            v[l] = cache.get(l).values().toFloatArray(); // [1, G, T, D]
        }
        decoder.load(k, v, positions);
    }

    /**
     * Bytes of weights the array decoder reads to decode one token, the roofline's numerator: every matrix and
     * norm gain once and one embedding row, in float32 (the per-head tau, sinks and distance bias are too small
     * to count).
     */
    static long weightBytesPerToken(LmConfig c) {
        long hidden = c.hiddenSize();
        long query = (long) c.numHeads() * c.headDim();
        long keyValue = 2L * c.numKvHeads() * c.headDim();
        long gate = c.attention().hasOutputGate() ? c.numHeads() : 0;
        long layer = hidden + hidden * (query + keyValue + gate) + query * hidden // norm, qkv (+ gate), output
                + hidden + hidden * 2L * c.mlpHiddenSize() + (long) c.mlpHiddenSize() * hidden; // norm, gate/up, down
        return (hidden + hidden + hidden * c.vocabSize() + c.numLayers() * layer) * Float.BYTES; // row, final norm, head
    }

    /**
     * Gives {@code to} the cached positions of {@code from} (same weights and capacity) through the decoder's
     * engine-facing cache API: each position's key and value read out, then loaded as the engine's cache.
     */
    static void copyCache(LmConfig config, ArrayDecoder from, ArrayDecoder to) {
        int positions = from.length();
        int rowSize = config.numKvHeads() * config.headDim(); // [G D]
        int d = config.headDim();
        float[][] keys = new float[config.numLayers()][rowSize * positions]; // per layer [G, T, D]
        float[][] values = new float[config.numLayers()][rowSize * positions];
        float[] key = new float[rowSize];
        float[] value = new float[rowSize];
        for (int l = 0; l < config.numLayers(); l++) {
            for (int t = 0; t < positions; t++) {
                from.keyValueAt(l, t, key, value);
                for (int g = 0; g < config.numKvHeads(); g++) {
                    System.arraycopy(key, g * d, keys[l], (g * positions + t) * d, d);
                    System.arraycopy(value, g * d, values[l], (g * positions + t) * d, d);
                }
            }
        }
        to.load(keys, values, positions);
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}

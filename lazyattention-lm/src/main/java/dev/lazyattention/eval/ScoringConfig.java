package dev.lazyattention.eval;

import static dev.lazyattention.settings.FrontEnd.CLI;
import static dev.lazyattention.settings.FrontEnd.CORENLP;
import static dev.lazyattention.settings.FrontEnd.OPENNLP;
import static dev.lazyattention.settings.FrontEnd.SPARK;

import ai.djl.Device;
import dev.lazyattention.engine.DeviceChoice;
import dev.lazyattention.settings.InvalidSetting;
import dev.lazyattention.settings.Setting;
import dev.lazyattention.settings.SettingTable;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a front end scores text: the model and where it runs, windows and batches, what is computed besides
 * log-probabilities, and the settings only one front end has (the CoreNLP annotator's scope, parallel scorers
 * and server bound; the Spark job's batches of documents and sentence splitter). {@link #SETTINGS} names each
 * setting for {@code lazyattn eval} and {@code annotate}, the CoreNLP annotator ({@code lazylm.<key>}), the
 * OpenNLP evaluator ({@code -<key>}) and the Spark job ({@code ScoreCorpus --kebab-case}); docs/settings.md
 * shows the table. Immutable and serializable: Spark ships it to every task. {@link #with} derives variants;
 * {@link #options} turns it into the {@link ScoringOptions} of a model.
 *
 * @param model a {@code .lazylm.zip} or a model folder in Hugging Face's layout; for Spark a path every
 *     executor can read, or the name of a file shipped with {@code spark-submit --files}
 */
public record ScoringConfig(String model, String device, Integer threads, Integer window, Integer stride,
        int batchSize, boolean attentionStats, int topK, int maxDocumentChars, Scope scope, int nthreads,
        int maxTopK, int documentsPerBatch, SentenceSplitting splitter, String language) implements Serializable {

    private static final long serialVersionUID = 2L;
    private static final int MAX = Integer.MAX_VALUE;

    /** How much context the CoreNLP annotator scores a sentence with. */
    public enum Scope {
        /** Each sentence alone, after a document boundary. */
        SENTENCE,
        /** Each sentence after the preceding text of its document. */
        DOCUMENT
    }

    /** Which sentence splitter the Spark job cuts documents with. */
    public enum SentenceSplitting {
        /** {@link java.text.BreakIterator} of the JDK: no extra dependency. */
        JDK,
        /**
         * Stanford CoreNLP's {@code tokenize,ssplit}, as in the annotator's pipelines. Needs {@code
         * corenlp-annotator} and {@code stanford-corenlp} on the class path; both are GPL-3.0, so a deployment
         * that adds them is a combined work under GPL-3.0-or-later.
         */
        CORENLP
    }

    // The settings, in the order of the record's components.
    public static final Setting<String> MODEL = Setting.of("model", String.class, null,
            "a .lazylm.zip model file, or a model folder in Hugging Face's layout").labelled("FILE|DIR");
    public static final Setting<String> DEVICE = Setting.of("device", String.class, null, "where the model runs")
            .computed("-Dlazyattention.device, else $LAZYATTENTION_DEVICE, else auto").labelled("auto|cpu|gpu|gpu:N")
            .checked(v -> v.trim().toLowerCase(Locale.ROOT).matches("auto|cpu|gpu(:\\d+)?") ? null
                    : "=" + v + ": expected auto, cpu, gpu or gpu:N").as(OPENNLP);
    public static final Setting<Integer> THREADS = Setting.whole("threads", null, 1, MAX,
            "threads libtorch may use in one operation, fixed for the JVM by the first model it loads")
            .computed("the cores divided by the threads that score at once, at least 1");
    public static final Setting<Integer> WINDOW = Setting.whole("window", null, 2, MAX,
            "tokens per window; longer texts are scored in sliding windows, never truncated")
            .computed("the model's context length").as(CORENLP, "lazylm.maxLength");
    public static final Setting<Integer> STRIDE = Setting.whole("stride", null, 1, MAX,
            "tokens between the starts of sliding windows").computed("half the window").as(OPENNLP);
    public static final Setting<Integer> BATCH_SIZE = Setting.whole("batchSize", 16, 1, MAX,
            "windows per forward pass").as(OPENNLP);
    public static final Setting<Boolean> ATTENTION_STATS = Setting.of("attentionStats", Boolean.class, false,
            "also report attention sparsity and sink mass (eval: and collapse); slower").as(OPENNLP);
    public static final Setting<Integer> TOP_K = Setting.whole("topK", 0, 0, MAX,
            "next-token predictions after each sentence; 0: none").as(OPENNLP).as(SPARK);
    public static final Setting<Integer> MAX_DOCUMENT_CHARS = Setting.whole("maxDocumentChars", 10_000_000, 1, MAX,
            "longer documents are not scored (NaN values or an error instead)").as(CLI).as(OPENNLP);
    public static final Setting<Scope> SCOPE = Setting.of("scope", Scope.class, Scope.SENTENCE,
            "score each sentence alone (sentence) or after the text before it in its document (document)").as(OPENNLP)
            .as(SPARK);
    public static final Setting<Integer> NTHREADS = Setting.whole("nthreads", 1, 1, MAX,
            "threads scoring sentences in parallel").only(CORENLP);
    public static final Setting<Integer> MAX_TOP_K = Setting.whole("maxTopK", 10, 0, MAX,
            "the largest topK a request to the CoreNLP server may ask for").only(CORENLP);
    public static final Setting<Integer> DOCUMENTS_PER_BATCH = Setting.whole("documentsPerBatch", 64, 1, MAX,
            "documents a Spark task scores together").only(SPARK);
    public static final Setting<SentenceSplitting> SPLITTER = Setting.of("splitter", SentenceSplitting.class,
            SentenceSplitting.JDK, "sentence splitter: jdk (java.text.BreakIterator) or corenlp (tokenize,ssplit; "
                    + "GPL-3.0, needs CoreNLP on the class path)").only(SPARK);
    public static final Setting<String> LANGUAGE = Setting.of("language", String.class, "en",
            "BCP 47 language of the jdk splitter's rules").labelled("TAG").only(SPARK);

    /** Every setting, in the order of the record's components. */
    public static final SettingTable<ScoringConfig> SETTINGS = new SettingTable<>(ScoringConfig.class, Map.of(
            CLI, SettingTable::kebab, CORENLP, k -> "lazylm." + k, OPENNLP, k -> "-" + k, SPARK, SettingTable::kebab),
            List.of(MODEL, DEVICE, THREADS, WINDOW, STRIDE, BATCH_SIZE, ATTENTION_STATS, TOP_K, MAX_DOCUMENT_CHARS,
                    SCOPE, NTHREADS, MAX_TOP_K, DOCUMENTS_PER_BATCH, SPLITTER, LANGUAGE));

    /** @throws InvalidSetting naming the first bad setting by its key */
    public ScoringConfig {
        SETTINGS.check(model, device, threads, window, stride, batchSize, attentionStats, topK, maxDocumentChars,
                scope, nthreads, maxTopK, documentsPerBatch, splitter, language);
        if (window != null) {
            checkStride(stride, window);
        }
    }

    private static void checkStride(Integer stride, int window) {
        if (stride != null && stride >= window) {
            throw new InvalidSetting(STRIDE, " " + stride + " must be shorter than the window " + window);
        }
    }

    /** Every default, with {@code model}. */
    public static ScoringConfig of(String model) {
        return SETTINGS.builder().set(MODEL, model).build();
    }

    /** A copy with one setting changed, checked like a new configuration. */
    public <T> ScoringConfig with(Setting<T> setting, T value) {
        return SETTINGS.builder(this).set(setting, value).build();
    }

    /** The device: {@link #device()} if set, else {@link DeviceChoice#fromEnvironment()}. */
    public Device resolvedDevice(String source) {
        return device == null ? DeviceChoice.fromEnvironment() : DeviceChoice.resolve(device, source);
    }

    /** The locale of {@link #language}. */
    public Locale locale() {
        return Locale.forLanguageTag(language);
    }

    /**
     * How a model with this context length scores: the window (at most the context), the stride (half the
     * window unless set), the batch, attention statistics and next-token predictions.
     *
     * @param windowName the front end's name of the window setting, for the message
     * @throws IllegalArgumentException if the window is longer than the context length, or the stride not shorter
     */
    public ScoringOptions options(int contextLength, String windowName) {
        int w = window == null ? contextLength : window;
        if (w > contextLength) {
            throw new IllegalArgumentException(windowName + "=" + w + ": must be in [2, " + contextLength
                    + "], the model's context length");
        }
        checkStride(stride, w);
        return new ScoringOptions(w, stride == null ? Math.max(1, w / 2) : stride, batchSize, attentionStats, topK);
    }
}

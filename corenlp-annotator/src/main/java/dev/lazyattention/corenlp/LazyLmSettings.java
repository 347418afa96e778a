package dev.lazyattention.corenlp;

import dev.lazyattention.engine.EngineThreads;
import dev.lazyattention.names.ClosestName;

import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;

/**
 * The annotator's properties, {@code <name>.<option>} in CoreNLP style (the name is {@code lazylm} when
 * registered as {@code customAnnotatorClass.lazylm}):
 *
 * <ul>
 *   <li>{@code model}: path to a {@code .lazylm.zip}, or to a model folder in Hugging Face's layout (required);
 *   <li>{@code device}: auto | cpu | gpu (default auto);
 *   <li>{@code batchSize}: sentences (windows) per forward pass (default 16);
 *   <li>{@code maxLength}: tokens per window; longer sentences are scored in sliding windows, never
 *       truncated (default and maximum: the model's context length);
 *   <li>{@code topK}: next-token predictions after each sentence, 0 = off (default 0);
 *   <li>{@code attentionStats}: sparsity and sink mass per sentence and document (default false);
 *   <li>{@code scope}: sentence (each sentence alone, after a document boundary) | document (each
 *       sentence after the preceding text of its document) (default sentence);
 *   <li>{@code nthreads}: threads scoring sentences in parallel (default 1);
 *   <li>{@code threads}: threads libtorch may use inside one operation, for the whole JVM (default: the
 *       cores divided by the threads that score at once, {@code nthreads} times CoreNLP's {@code threads}
 *       (a server's request threads), at least 1; see {@link EngineThreads}). Fixed by the first annotator
 *       or server of the JVM: a later, different value is reported, not applied;
 *   <li>{@code maxDocumentChars}: longer documents are not scored: a warning is logged and every value is
 *       NaN (default 10,000,000; scoring time grows with the text, so a server should bound it);
 *   <li>{@code maxTopK}: the largest {@code topK} a request to {@link LazyLmServer} may ask for (default 10).
 * </ul>
 *
 * Bad values fail at pipeline construction with a {@link LazyLmConfigurationException} naming the property;
 * so does an unknown {@code <name>.*} key, with the closest known one ({@code lazylm.topk} suggests {@code
 * lazylm.topK}, {@code lazylm.modle} {@code lazylm.model}): a misspelt key is never ignored.
 * Only {@link #REQUEST_OPTIONS} may differ between requests to {@link LazyLmServer}: everything else opens
 * files or spends memory and threads, and is fixed when the server starts.
 */
final class LazyLmSettings {

    /** Every option the annotator reads, as written after {@code <name>.}. */
    static final List<String> OPTIONS = List.of("model", "device", "batchSize", "maxLength", "topK",
            "attentionStats", "scope", "nthreads", "threads", "maxDocumentChars", "maxTopK");

    /** Options a server request may set: they change what is reported, not what is opened or spent. */
    static final Set<String> REQUEST_OPTIONS = Set.of("topK");

    /** How much context a sentence is scored with. */
    enum Scope {
        SENTENCE,
        DOCUMENT
    }

    final String name;
    final String model;
    final String device;
    final int batchSize;
    final Integer maxLength;
    final int topK;
    final boolean attentionStats;
    final Scope scope;
    final int threads;
    /** libtorch's intra-op threads asked for, or null for {@link EngineThreads}' default rule. */
    final Integer intraOpThreads;
    /** CoreNLP's {@code threads} (documents annotated at once, a server's request threads), at least 1. */
    final int pipelineThreads;
    final int maxDocumentChars;

    final int maxTopK;

    LazyLmSettings(String name, Properties props) {
        this.name = name;
        refuseUnknownKeys(props);
        model = props.getProperty(key("model"));
        if (model == null || model.isBlank()) {
            throw new LazyLmConfigurationException(key("model") + " is required: the path to a .lazylm.zip model file or a model folder");
        }
        device = props.getProperty(key("device"), "auto");
        batchSize = positive(props, "batchSize", 16);
        String max = props.getProperty(key("maxLength"));
        maxLength = max == null ? null : positive(props, "maxLength", 0);
        topK = atLeastZero(props, "topK", 0);
        attentionStats = bool(props, "attentionStats", false);
        String s = props.getProperty(key("scope"), "sentence").trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "sentence":
                scope = Scope.SENTENCE;
                break;
            case "document":
                scope = Scope.DOCUMENT;
                break;
            default:
                throw new LazyLmConfigurationException(key("scope") + "=" + s + ": expected sentence or document");
        }
        threads = positive(props, "nthreads", 1);
        String intraOp = props.getProperty(key("threads"));
        intraOpThreads = intraOp == null ? null : EngineThreads.parse(intraOp, key("threads"));
        pipelineThreads = pipelineThreads(props);
        maxDocumentChars = positive(props, "maxDocumentChars", 10_000_000);
        maxTopK = atLeastZero(props, "maxTopK", 10);
    }

    /**
     * Fixes libtorch's intra-op threads for the JVM before the model loads: {@code <name>.threads}, else the
     * default rule for {@code nthreads x documentThreads} threads scoring at once.
     *
     * @param documentThreads documents annotated at once: CoreNLP's {@code threads} in a pipeline, the
     *     request threads in a server
     */
    EngineThreads.Decision applyThreads(int documentThreads) {
        return EngineThreads.apply(intraOpThreads, concurrentCallers(documentThreads), key("threads"));
    }

    /** Threads that may score at once: {@code nthreads x documentThreads}. */
    int concurrentCallers(int documentThreads) {
        return (int) Math.min(Integer.MAX_VALUE, (long) threads * Math.max(1, documentThreads));
    }

    /** CoreNLP's own {@code threads} property (not ours to refuse): a positive count, else 1. */
    private static int pipelineThreads(Properties props) {
        try {
            return Math.max(1, Integer.parseInt(props.getProperty("threads", "1").trim()));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** Refuses {@code <name>.x} keys the annotator does not read, naming the closest known key. */
    private void refuseUnknownKeys(Properties props) {
        String prefix = name + ".";
        for (String key : props.stringPropertyNames()) {
            if (key.startsWith(prefix) && !OPTIONS.contains(key.substring(prefix.length()))) {
                String option = key.substring(prefix.length());
                String closest = ClosestName.closest(option, OPTIONS);
                throw new LazyLmConfigurationException(key + " is not a property of the " + name
                        + " annotator; did you mean " + key(closest) + "? (known: " + String.join(", ", OPTIONS) + ")");
            }
        }
    }

    String key(String option) {
        return name + "." + option;
    }

    private int positive(Properties props, String option, int fallback) {
        int v = integer(props, option, fallback);
        if (v < 1) {
            throw new LazyLmConfigurationException(key(option) + "=" + v + ": must be >= 1");
        }
        return v;
    }

    private int atLeastZero(Properties props, String option, int fallback) {
        int v = integer(props, option, fallback);
        if (v < 0) {
            throw new LazyLmConfigurationException(key(option) + "=" + v + ": must be >= 0");
        }
        return v;
    }

    private int integer(Properties props, String option, int fallback) {
        String value = props.getProperty(key(option));
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new LazyLmConfigurationException(key(option) + "=" + value + ": not an integer", e);
        }
    }

    private boolean bool(Properties props, String option, boolean fallback) {
        String value = props.getProperty(key(option));
        if (value == null) {
            return fallback;
        }
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new LazyLmConfigurationException(key(option) + "=" + value + ": expected true or false");
        }
    }
}

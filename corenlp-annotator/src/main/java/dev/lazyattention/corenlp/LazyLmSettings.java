package dev.lazyattention.corenlp;

import dev.lazyattention.engine.EngineThreads;
import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.names.ClosestName;
import dev.lazyattention.settings.FrontEnd;

import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * The annotator's properties, {@code <name>.<option>} in CoreNLP style (the name is {@code lazylm} when
 * registered as {@code customAnnotatorClass.lazylm}): the CoreNLP column of {@link ScoringConfig#SETTINGS}
 * (docs/settings.md lists them with their defaults), read with the table's parsing, checks and defaults.
 * {@code model} is required; {@code maxLength} is the scoring window (at most the model's context length);
 * {@code threads}, libtorch's threads for the whole JVM, defaults to the cores divided by the threads that score
 * at once ({@code nthreads} times CoreNLP's own {@code threads}, a server's request threads; see {@link
 * EngineThreads}) and is fixed by the first annotator or server of the JVM: a later, different value is
 * reported, not applied.
 *
 * <p>Bad values fail at pipeline construction with a {@link LazyLmConfigurationException} naming the property;
 * so does an unknown {@code <name>.*} key, with the closest known one ({@code lazylm.topk} suggests {@code
 * lazylm.topK}): a misspelt key is never ignored. Only {@link #REQUEST_OPTIONS} may differ between requests to
 * {@link LazyLmServer}: everything else opens files or spends memory and threads, and is fixed when the server
 * starts.
 */
final class LazyLmSettings {

    /** The table's spelling of the annotator's properties, for the default name. */
    private static final String TABLE_PREFIX = "lazylm.";

    /** Every option the annotator reads, as written after {@code <name>.}. */
    static final List<String> OPTIONS = ScoringConfig.SETTINGS.names(FrontEnd.CORENLP).stream()
            .map(n -> n.substring(TABLE_PREFIX.length())).toList();

    /** Options a server request may set: they change what is reported, not what is opened or spent. */
    static final Set<String> REQUEST_OPTIONS = Set.of("topK");

    final String name;
    final ScoringConfig config;
    /** CoreNLP's {@code threads} (documents annotated at once, a server's request threads), at least 1. */
    final int pipelineThreads;

    LazyLmSettings(String name, Properties props) {
        this.name = name;
        refuseUnknownKeys(props);
        try {
            config = ScoringConfig.SETTINGS.builder().read(FrontEnd.CORENLP,
                    n -> props.getProperty(key(n.substring(TABLE_PREFIX.length())))).build(FrontEnd.CORENLP);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            throw new LazyLmConfigurationException(message.startsWith(TABLE_PREFIX)
                    ? key(message.substring(TABLE_PREFIX.length())) : message, e);
        }
        pipelineThreads = pipelineThreads(props);
    }

    /**
     * Fixes libtorch's intra-op threads for the JVM before the model loads: {@code <name>.threads}, else the
     * default rule for {@code nthreads x documentThreads} threads scoring at once.
     *
     * @param documentThreads documents annotated at once: CoreNLP's {@code threads} in a pipeline, the
     *     request threads in a server
     */
    EngineThreads.Decision applyThreads(int documentThreads) {
        return EngineThreads.apply(config.threads(), concurrentCallers(documentThreads), key("threads"));
    }

    /** Threads that may score at once: {@code nthreads x documentThreads}. */
    int concurrentCallers(int documentThreads) {
        return (int) Math.min(Integer.MAX_VALUE, (long) config.nthreads() * Math.max(1, documentThreads));
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
}

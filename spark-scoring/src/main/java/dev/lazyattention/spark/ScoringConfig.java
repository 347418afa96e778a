package dev.lazyattention.spark;

import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.engine.EngineThreads;

import java.io.Serializable;
import java.util.Locale;

/**
 * How a Spark job scores text: the model file, the device, windows and batches, the attention diagnostics and
 * the sentence splitter. Immutable and serializable: Spark ships it to every task. Start from {@link #of} and
 * change fields with the {@code with} methods, each of which returns a copy with one field changed.
 *
 * @param modelPath the {@code .lazylm.zip}: a path every executor can read (a shared file system), or the
 *     name (or any path ending in the name) of a file shipped with {@code spark-submit --files} or {@code
 *     SparkContext.addFile}; or a model folder in Hugging Face's layout at a path every executor can read
 * @param device {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N} on the executors
 * @param windowLength tokens per forward window, 0 for the model's context length; longer texts are scored in
 *     sliding windows with a stride of half a window, never truncated
 * @param batchSize windows per forward pass
 * @param documentsPerBatch documents a task gathers before scoring them (with their sentences) together
 * @param attentionStats whether to add the {@code sparsity} and {@code sinkMass} columns (slower: batches of
 *     at most 4 windows)
 * @param splitter the sentence splitter
 * @param language BCP 47 language tag of the {@link java.text.BreakIterator} rules (the JDK splitter)
 * @param maxDocumentChars longer documents are not scored: they get an {@code error} instead
 * @param threads libtorch's intra-op threads on each executor, or null for the default rule: the executor's
 *     cores divided by the tasks it runs at once, at least 1 (about {@code spark.task.cpus} with {@code
 *     spark.executor.cores}; cores / N with {@code local[N]}; see {@link TaskSlots} and {@link
 *     EngineThreads}); fixed when an executor loads its first model
 */
public record ScoringConfig(String modelPath, String device, int windowLength, int batchSize, int documentsPerBatch,
        boolean attentionStats, SentenceSplitting splitter, String language, int maxDocumentChars, Integer threads)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public ScoringConfig {
        if (modelPath == null || modelPath.isBlank()) {
            throw new IllegalArgumentException("modelPath is required: the path or shipped name of a .lazylm.zip");
        }
        if (device == null || device.isBlank()) {
            throw new IllegalArgumentException("device must be auto, cpu, gpu or gpu:N");
        }
        if (windowLength != 0 && windowLength < 2) {
            throw new IllegalArgumentException(
                    "windowLength must be 0 (the context length) or >= 2, got " + windowLength);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (documentsPerBatch < 1) {
            throw new IllegalArgumentException("documentsPerBatch must be >= 1, got " + documentsPerBatch);
        }
        if (splitter == null) {
            throw new IllegalArgumentException("splitter is required");
        }
        if (language == null || language.isBlank()) {
            throw new IllegalArgumentException("language is required (a BCP 47 tag such as en)");
        }
        if (maxDocumentChars < 1) {
            throw new IllegalArgumentException("maxDocumentChars must be >= 1, got " + maxDocumentChars);
        }
        if (threads != null) {
            EngineThreads.check(threads, "threads");
        }
    }

    /** A configuration with the default thread rule ({@code threads} null). */
    public ScoringConfig(String modelPath, String device, int windowLength, int batchSize, int documentsPerBatch,
            boolean attentionStats, SentenceSplitting splitter, String language, int maxDocumentChars) {
        this(modelPath, device, windowLength, batchSize, documentsPerBatch, attentionStats, splitter, language,
                maxDocumentChars, null);
    }

    /**
     * Defaults: device {@code auto}, the model's context length as window, 16 windows per pass, 64 documents
     * per batch, no attention diagnostics, the JDK splitter with English rules, documents up to 10,000,000
     * characters (the CoreNLP annotator's default bound), the default thread rule.
     */
    public static ScoringConfig of(String modelPath) {
        return new ScoringConfig(modelPath, "auto", 0, 16, 64, false, SentenceSplitting.JDK, "en", 10_000_000);
    }

    public ScoringConfig withDevice(String d) {
        return new ScoringConfig(modelPath, d, windowLength, batchSize, documentsPerBatch, attentionStats, splitter,
                language, maxDocumentChars, threads);
    }

    public ScoringConfig withWindowLength(int w) {
        return new ScoringConfig(modelPath, device, w, batchSize, documentsPerBatch, attentionStats, splitter,
                language, maxDocumentChars, threads);
    }

    public ScoringConfig withBatchSize(int b) {
        return new ScoringConfig(modelPath, device, windowLength, b, documentsPerBatch, attentionStats, splitter,
                language, maxDocumentChars, threads);
    }

    public ScoringConfig withDocumentsPerBatch(int d) {
        return new ScoringConfig(modelPath, device, windowLength, batchSize, d, attentionStats, splitter, language,
                maxDocumentChars, threads);
    }

    public ScoringConfig withAttentionStats(boolean on) {
        return new ScoringConfig(modelPath, device, windowLength, batchSize, documentsPerBatch, on, splitter,
                language, maxDocumentChars, threads);
    }

    public ScoringConfig withSplitter(SentenceSplitting s) {
        return new ScoringConfig(modelPath, device, windowLength, batchSize, documentsPerBatch, attentionStats, s,
                language, maxDocumentChars, threads);
    }

    public ScoringConfig withLanguage(String tag) {
        return new ScoringConfig(modelPath, device, windowLength, batchSize, documentsPerBatch, attentionStats,
                splitter, tag, maxDocumentChars, threads);
    }

    public ScoringConfig withMaxDocumentChars(int max) {
        return new ScoringConfig(modelPath, device, windowLength, batchSize, documentsPerBatch, attentionStats,
                splitter, language, max, threads);
    }

    public ScoringConfig withThreads(Integer n) {
        return new ScoringConfig(modelPath, device, windowLength, batchSize, documentsPerBatch, attentionStats,
                splitter, language, maxDocumentChars, n);
    }

    /** The locale of {@link #language}. */
    public Locale locale() {
        return Locale.forLanguageTag(language);
    }

    /**
     * Scoring options for a model with this context length: the same windows as the CoreNLP annotator and
     * {@code ScoringOptions.defaults} (stride half a window).
     *
     * @throws IllegalArgumentException if the window is longer than the context length
     */
    public ScoringOptions scoringOptions(int contextLength) {
        int window = windowLength == 0 ? contextLength : windowLength;
        if (window > contextLength) {
            throw new IllegalArgumentException("windowLength " + window + " is longer than the model's context length "
                    + contextLength);
        }
        return new ScoringOptions(window, Math.max(1, window / 2), batchSize, attentionStats, 0);
    }
}

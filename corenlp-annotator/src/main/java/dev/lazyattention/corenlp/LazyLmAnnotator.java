package dev.lazyattention.corenlp;

import dev.lazyattention.eval.AttentionStats;
import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScore;
import dev.lazyattention.eval.SequenceScorer;
import ai.djl.Device;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.engine.MissingEngineException;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.Encoding;
import edu.stanford.nlp.ling.CoreAnnotation;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.Annotator;
import edu.stanford.nlp.util.CoreMap;
import edu.stanford.nlp.util.logging.Redwood;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scores every token, sentence and document with a Lazy Attention language model. Use it in any pipeline:
 *
 * <pre>
 * customAnnotatorClass.lazylm = dev.lazyattention.corenlp.LazyLmAnnotator
 * annotators = tokenize,ssplit,lazylm
 * lazylm.model = /path/to/model.lazylm.zip       (or a model folder in Hugging Face's layout)
 * </pre>
 *
 * Properties are listed in {@link LazyLmSettings}; results in {@link LazyLmAnnotations}. A sentence is the
 * text from its first to its last token; each CoreNLP token owns the whitespace before it (see {@link
 * PieceAlignment}), so a sentence's token values add up to its log-probability. In document scope the
 * whitespace between sentences belongs to the next sentence's first token.
 *
 * <p>This is an {@link Annotator} rather than a {@code SentenceAnnotator}: batching sentences into one
 * forward pass and scoring them after the text before them both need the whole document at once.
 * Failures while scoring (not configuration errors) are logged and give NaN values; no exception escapes.
 * Configuration errors are a {@link LazyLmConfigurationException}, the exception that {@code new
 * StanfordCoreNLP(props)} throws.
 */
public class LazyLmAnnotator implements Annotator {

    private static final Redwood.RedwoodChannels LOG = Redwood.channels(LazyLmAnnotator.class);

    private final String name;
    private final Properties props;

    // Set once by configure(), before `configured`; read after it.
    private LazyLmSettings settings;
    private LazyLanguageModel model;
    private SequenceScorer scorer;
    private ExecutorService pool;
    private volatile boolean configured;

    /** The configuration error the constructor met, until requires() or annotate() throws it. */
    private LazyLmConfigurationException unreported;

    /**
     * Threads for {@code nthreads > 1}, shared by every annotator of the JVM and never more than its cores:
     * CoreNLP servers build pipelines per request properties and never close annotators, so a pool per
     * annotator would leak threads, and {@code nthreads} beyond the cores only oversubscribes them.
     */
    private static final ExecutorService SHARED_THREADS = sharedThreads();

    /** Annotate calls in progress in this JVM: lets a test see that a cancelled request stops working. */
    static final AtomicInteger RUNNING = new AtomicInteger();

    /** Runs before each batch when set: lets a test make scoring slow enough to time out deterministically. */
    static volatile Runnable beforeBatch;

    private static ExecutorService sharedThreads() {
        int cores = Runtime.getRuntime().availableProcessors();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(cores, cores, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "lazylm-annotator");
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /**
     * The constructor CoreNLP calls for {@code customAnnotatorClass.<name>}. A configuration error (an unknown
     * or bad {@code <name>.*} property, a missing or refused model file) is not thrown here, where CoreNLP
     * would bury it under its reflection errors, but from {@link #requires()}, which the pipeline's constructor
     * calls unwrapped: see {@link LazyLmConfigurationException}.
     */
    public LazyLmAnnotator(String name, Properties props) {
        this.name = name;
        this.props = new Properties();
        for (String key : props.stringPropertyNames()) {
            this.props.setProperty(key, props.getProperty(key));
        }
        droppedValuesWarning(props).ifPresent(LOG::warn);
        try {
            configure();
        } catch (LazyLmConfigurationException e) {
            unreported = e;
        }
    }

    /** Reads the settings and loads the model; once. */
    private synchronized void configure() {
        if (configured) {
            return;
        }
        LazyLmSettings parsed = new LazyLmSettings(name, props);
        parsed.applyThreads(parsed.pipelineThreads);
        LazyLanguageModel loaded = loadModel(parsed);
        ScoringOptions options;
        try {
            options = parsed.config.options(loaded.config().contextLength(), parsed.key("maxLength"));
        } catch (IllegalArgumentException e) {
            throw new LazyLmConfigurationException(e.getMessage(), e);
        }
        settings = parsed;
        model = loaded;
        scorer = new SequenceScorer(loaded, options);
        pool = parsed.config.nthreads() > 1 ? SHARED_THREADS : null;
        configured = true;
    }

    /**
     * Returns when the annotator is configured; else throws the constructor's configuration error the first
     * time, and afterwards tries the configuration again (CoreNLP keeps annotators for reuse by later
     * pipelines, and the model file may have been fixed meanwhile).
     *
     * @throws LazyLmConfigurationException naming the property, and the file for a model file
     */
    private void ensureConfigured() {
        if (configured) {
            return;
        }
        synchronized (this) {
            LazyLmConfigurationException first = unreported;
            if (first != null) {
                unreported = null;
                throw first;
            }
            configure();
        }
    }

    /**
     * The model of {@code settings} on its device, shared by every annotator of the JVM.
     *
     * @throws LazyLmConfigurationException naming the device property, or the model property and the file
     */
    static LazyLanguageModel loadModel(LazyLmSettings settings) {
        Device device;
        try {
            device = settings.config.resolvedDevice(settings.key("device"));
        } catch (IllegalArgumentException | MissingEngineException e) {
            throw new LazyLmConfigurationException(e.getMessage(), e);
        }
        try {
            return ModelCache.get(settings.config.model(), device);
        } catch (MissingEngineException e) {
            throw new LazyLmConfigurationException(e.getMessage(), e); // the engine's message, not the file's
        } catch (UncheckedIOException | IllegalArgumentException e) {
            Throwable reason = e instanceof UncheckedIOException ? e.getCause() : e;
            throw new LazyLmConfigurationException(settings.key("model") + "=" + settings.config.model() + ": "
                    + reason.getMessage(), reason);
        }
    }

    /**
     * The warning for properties whose output leaves out every lazylm value: CoreNLP's own outputters
     * ({@code json}, {@code xml}, {@code text}, ...) print only the keys that CoreNLP knows.
     */
    static Optional<String> droppedValuesWarning(Properties props) {
        String format = props.getProperty("outputFormat");
        if (format == null || format.isBlank() || format.trim().equalsIgnoreCase("custom")) {
            return Optional.empty();
        }
        return Optional.of("lazylm: outputFormat=" + format.trim() + " prints none of the lazylm values (CoreNLP's "
                + "outputters know only CoreNLP's keys); for JSON with them set outputFormat=custom and customOutputter="
                + LazyLmJsonOutputter.class.getName());
    }

    /** {@inheritDoc} */
    @Override
    public void annotate(Annotation annotation) {
        ensureConfigured();
        RUNNING.incrementAndGet();
        try {
            annotateCounted(annotation);
        } finally {
            RUNNING.decrementAndGet();
        }
    }

    private void annotateCounted(Annotation annotation) {
        List<CoreMap> sentences = annotation.get(CoreAnnotations.SentencesAnnotation.class);
        if (sentences == null) {
            sentences = List.of();
        }
        DocumentText text = DocumentText.of(annotation, sentences);
        if (text.documentLength() > settings.config.maxDocumentChars()) {
            LOG.warn("lazylm: document of " + text.documentLength() + " characters exceeds "
                    + settings.key("maxDocumentChars") + "=" + settings.config.maxDocumentChars() + "; values are NaN");
            markFailed(annotation, sentences);
            return;
        }
        try {
            if (settings.config.scope() == ScoringConfig.Scope.SENTENCE) {
                annotateSentences(annotation, sentences, text);
            } else {
                annotateDocument(annotation, sentences, text);
            }
        } catch (CancellationException e) {
            // The caller gave up (a server's timeout interrupts its thread): stop, keep the interrupt.
            Thread.currentThread().interrupt();
            markFailed(annotation, sentences);
        } catch (RuntimeException e) {
            LOG.warn("lazylm: scoring failed, values are NaN: " + e);
            markFailed(annotation, sentences);
        }
    }

    private void annotateSentences(Annotation annotation, List<CoreMap> sentences, DocumentText text) {
        BpeTokenizer tokenizer = model.tokenizer();
        List<ScoringRequest> requests = new ArrayList<>();
        List<Encoding> encodings = new ArrayList<>();
        for (int s = 0; s < sentences.size(); s++) {
            Encoding e = tokenizer.encodeWithOffsets(text.sentenceText(s));
            encodings.add(e);
            requests.add(new ScoringRequest(tokenizer.afterEndOfText(e.ids()), 1));
        }
        List<SequenceScore> scores = scoreInParallel(requests);
        Totals document = new Totals(model);
        for (int s = 0; s < sentences.size(); s++) {
            Encoding e = encodings.get(s);
            int offset = text.sentenceStart(s);
            int[] starts = Arrays.stream(e.charStart()).map(c -> c + offset).toArray();
            int[] ends = Arrays.stream(e.charEnd()).map(c -> c + offset).toArray();
            SequenceScore score = scores.get(s);
            Totals sentence = fillSentence(sentences.get(s), text, s, starts, ends, score.logProbabilities(),
                    text.sentenceStart(s), score.attention(), score.nextTokens());
            document.add(sentence);
        }
        document.writeDocument(annotation);
    }

    private void annotateDocument(Annotation annotation, List<CoreMap> sentences, DocumentText text) {
        Totals document = new Totals(model);
        if (!sentences.isEmpty()) {
            BpeTokenizer tokenizer = model.tokenizer();
            Encoding e = tokenizer.encodeWithOffsets(text.documentText());
            int n = e.ids().length;
            int[] segments = new int[n + 1];
            segments[0] = -1; // the leading <|endoftext|>
            int[] lastPiece = new int[sentences.size()];
            Arrays.fill(lastPiece, -1);
            int sentence = 0;
            for (int p = 0; p < n; p++) {
                int lastChar = e.charEnd()[p] - 1;
                while (sentence < sentences.size() - 1 && lastChar >= text.sentenceEnd(sentence)) {
                    sentence++;
                }
                segments[p + 1] = sentence;
                lastPiece[sentence] = p + 1;
            }
            int[] predictAfter = settings.config.topK() > 0 ? Arrays.stream(lastPiece).filter(i -> i >= 0).toArray()
                    : null;
            SequenceScore score = scorer.score(new ScoringRequest(tokenizer.afterEndOfText(e.ids()), 1, segments,
                    predictAfter));
            // Pieces of each sentence, in one pass (segments never decrease).
            List<List<Integer>> piecesOf = new ArrayList<>();
            for (int s = 0; s < sentences.size(); s++) {
                piecesOf.add(new ArrayList<>());
            }
            for (int p = 0; p < n; p++) {
                piecesOf.get(segments[p + 1]).add(p);
            }
            int predictionIndex = 0;
            for (int s = 0; s < sentences.size(); s++) {
                List<Integer> pieces = piecesOf.get(s);
                int[] starts = pieces.stream().mapToInt(p -> e.charStart()[p]).toArray();
                int[] ends = pieces.stream().mapToInt(p -> e.charEnd()[p]).toArray();
                double[] logProbs = pieces.stream().mapToDouble(p -> score.logProbabilities()[p]).toArray();
                AttentionStats stats = settings.config.attentionStats() ? score.segmentAttention().get(s) : null;
                List<dev.lazyattention.eval.TokenPrediction> next = List.of();
                if (settings.config.topK() > 0 && lastPiece[s] >= 0) {
                    next = score.predictions().get(predictionIndex++);
                }
                int regionStart = s == 0 ? 0 : text.sentenceEnd(s - 1);
                document.add(fillSentence(sentences.get(s), text, s, starts, ends, logProbs, regionStart, stats, next));
            }
            if (settings.config.attentionStats()) {
                document.attention = score.attention();
            }
        }
        document.writeDocument(annotation);
    }

    /** Token and sentence values of one sentence from its pieces. */
    private Totals fillSentence(CoreMap sentence, DocumentText text, int index, int[] pieceStart, int[] pieceEnd,
            double[] logProbs, int regionStart, AttentionStats stats, List<dev.lazyattention.eval.TokenPrediction> next) {
        List<CoreLabel> tokens = sentence.get(CoreAnnotations.TokensAnnotation.class);
        int[][] spans = text.tokenSpans(index, regionStart);
        double[] values = PieceAlignment.share(pieceStart, pieceEnd, logProbs, spans[0], spans[1], null);
        double total = 0;
        for (int k = 0; k < tokens.size(); k++) {
            tokens.get(k).set(LazyLmAnnotations.TokenLogProbability.class, values[k]);
            tokens.get(k).set(LazyLmAnnotations.TokenSurprisal.class, -values[k] / Math.log(2));
            total += values[k];
        }
        Totals t = new Totals(model);
        t.logProbability = total;
        t.pieces = logProbs.length;
        t.bytes = text.text(regionStart, text.sentenceEnd(index))
                .getBytes(StandardCharsets.UTF_8).length;
        t.attention = stats;
        t.writeSentence(sentence);
        if (settings.config.topK() > 0) {
            sentence.set(LazyLmAnnotations.SentenceNextTokens.class, next);
        }
        return t;
    }

    /**
     * Scores the requests a batch at a time, in up to {@code nthreads} parts at once, and stops between
     * batches once the calling thread is interrupted.
     */
    private List<SequenceScore> scoreInParallel(List<ScoringRequest> requests) {
        int parts = pool == null ? 1 : Math.min(settings.config.nthreads(), requests.size());
        if (parts <= 1) {
            return scoreInBatches(requests, Thread.currentThread());
        }
        Thread caller = Thread.currentThread();
        int chunk = (requests.size() + parts - 1) / parts;
        List<Future<List<SequenceScore>>> futures = new ArrayList<>();
        for (int from = 0; from < requests.size(); from += chunk) {
            List<ScoringRequest> part = requests.subList(from, Math.min(requests.size(), from + chunk));
            futures.add(pool.submit(() -> scoreInBatches(part, caller)));
        }
        List<SequenceScore> all = new ArrayList<>(requests.size());
        try {
            for (Future<List<SequenceScore>> f : futures) {
                all.addAll(f.get());
            }
        } catch (InterruptedException e) {
            throw new CancellationException("interrupted while scoring");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CancellationException) {
                throw (CancellationException) e.getCause();
            }
            throw new IllegalStateException("scoring failed: " + e.getCause(), e.getCause());
        } finally {
            futures.forEach(f -> f.cancel(true));
        }
        return all;
    }

    /** Scores a batch at a time; {@code owner} is the thread whose interruption cancels the work. */
    private List<SequenceScore> scoreInBatches(List<ScoringRequest> requests, Thread owner) {
        List<SequenceScore> scores = new ArrayList<>(requests.size());
        for (int from = 0; from < requests.size(); from += settings.config.batchSize()) {
            if (owner.isInterrupted() || Thread.currentThread().isInterrupted()) {
                throw new CancellationException("interrupted after " + from + " of " + requests.size() + " sentences");
            }
            Runnable hook = beforeBatch;
            if (hook != null) {
                hook.run();
            }
            int to = Math.min(requests.size(), from + settings.config.batchSize());
            scores.addAll(scorer.score(requests.subList(from, to)));
        }
        return scores;
    }

    private void markFailed(Annotation annotation, List<CoreMap> sentences) {
        Totals failed = new Totals(model);
        failed.logProbability = Double.NaN;
        for (CoreMap sentence : sentences) {
            for (CoreLabel token : sentence.get(CoreAnnotations.TokensAnnotation.class)) {
                token.set(LazyLmAnnotations.TokenLogProbability.class, Double.NaN);
                token.set(LazyLmAnnotations.TokenSurprisal.class, Double.NaN);
            }
            failed.writeSentence(sentence);
        }
        failed.writeDocument(annotation);
    }

    /** {@inheritDoc} */
    @Override
    public Set<Class<? extends CoreAnnotation>> requires() {
        ensureConfigured(); // the one call of a pipeline's constructor that CoreNLP does not wrap
        return Set.of(CoreAnnotations.TextAnnotation.class, CoreAnnotations.TokensAnnotation.class,
                CoreAnnotations.SentencesAnnotation.class, CoreAnnotations.CharacterOffsetBeginAnnotation.class,
                CoreAnnotations.CharacterOffsetEndAnnotation.class);
    }

    /** {@inheritDoc} */
    @Override
    public Set<Class<? extends CoreAnnotation>> requirementsSatisfied() {
        return Set.of(LazyLmAnnotations.TokenLogProbability.class, LazyLmAnnotations.TokenSurprisal.class,
                LazyLmAnnotations.SentenceLogProbability.class, LazyLmAnnotations.SentencePerplexity.class,
                LazyLmAnnotations.SentenceBitsPerByte.class, LazyLmAnnotations.SentencePieceCount.class,
                LazyLmAnnotations.DocumentLogProbability.class, LazyLmAnnotations.DocumentPerplexity.class,
                LazyLmAnnotations.DocumentBitsPerByte.class, LazyLmAnnotations.DocumentPieceCount.class);
    }

    /** The model this annotator scores with. */
    public LazyLanguageModel model() {
        ensureConfigured();
        return model;
    }
}

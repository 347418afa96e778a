package dev.lazyattention.corenlp;

import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.engine.DjlSetup;
import dev.lazyattention.engine.EngineThreads;
import dev.lazyattention.names.ClosestName;
import dev.lazyattention.train.TrainResult;
import dev.lazyattention.train.TrainedModel;
import dev.lazyattention.train.TrainingRecipe;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.Setting;
import dev.lazyattention.train.TrainConfig;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.util.CoreMap;
import edu.stanford.nlp.util.StringUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Trains a Lazy Attention model on text run through a CoreNLP pipeline: the pipeline (default
 * {@code tokenize,ssplit}; add {@code cleanxml} for markup) segments documents into sentences, and the
 * sentences become the training text of the {@link TrainingRecipe}. Properties, CoreNLP style:
 *
 * <ul>
 *   <li>{@code lazylm.train.output}: the model file to write (required);
 *   <li>{@code lazylm.train.files}: comma-separated input files (for {@link #main});
 *   <li>{@code lazylm.train.valid}: comma-separated validation files (optional);
 *   <li>{@code lazylm.train.annotators}: the segmenting pipeline (default tokenize,ssplit); every other
 *       property (tokenize.language, ssplit.newlineIsSentenceBreak, clean.xmltags, ...) reaches it;
 *   <li>{@code lazylm.train.unit}: sentence (each sentence a document, as the annotator's sentence scope
 *       scores them) | document (sentences of a document on consecutive lines) (default sentence);
 *   <li>{@code lazylm.train.workDir}: checkpoints and metrics (default {@code <output>.work});
 *   <li>{@code lazylm.train.<key>} for every setting of {@link TrainConfig} ({@code preset},
 *       {@code steps}, {@code learningRate}, {@code warmupSteps}, {@code weightDecay}, {@code progress},
 *       ...), with its default; {@code language} defaults to {@code tokenize.language} when that is set.
 *   <li>{@code lazylm.threads}: threads libtorch may use inside one operation, as for the annotator
 *       (default: one per core; see {@link EngineThreads}), fixed when the trainer is made.
 * </ul>
 *
 * <p>Every value is checked when the trainer is made, before any work. An unknown {@code lazylm.train.*}
 * key, or a {@code lazylm.*} key that neither the trainer nor the {@code lazylm} annotator reads, is refused
 * with the closest known key ({@code lazylm.train.stpes} suggests {@code lazylm.train.steps}, {@code
 * lazylm.steps} suggests {@code lazylm.train.steps}).
 */
public final class LazyLmTrainer {

    public static final String PREFIX = "lazylm.train.";

    /** The trainer's own options besides the recipe's settings, as written after {@link #PREFIX}. */
    static final List<String> OWN_OPTIONS = List.of("output", "files", "valid", "annotators", "unit", "workDir");

    private static final String NAMESPACE = "lazylm.";
    private static final String THREADS = NAMESPACE + "threads";

    private final Properties props;
    private final TrainConfig settings;

    /**
     * Reads and checks the properties.
     *
     * @throws IllegalArgumentException naming the first missing, unknown or bad property
     */
    public LazyLmTrainer(Properties props) {
        this.props = props;
        output(); // a missing output fails at construction, before any work
        refuseUnknownKeys(props);
        unit();
        String threads = props.getProperty(THREADS);
        // Before the settings: checking a device starts the engine, which reads the count once.
        EngineThreads.apply(threads == null ? null : EngineThreads.parse(threads, THREADS), 1, THREADS);
        settings = settings(props);
    }

    /** The CoreNLP property of a training setting. */
    public static String property(Setting<?> setting) {
        return TrainConfig.SETTINGS.name(FrontEnd.CORENLP, setting);
    }

    /** The recipe's settings these properties give (defaults for those not given). */
    public TrainConfig settings() {
        return settings;
    }

    private static TrainConfig settings(Properties props) {
        TrainConfig base = TrainConfig.DEFAULTS;
        String language = props.getProperty("tokenize.language");
        if (props.getProperty(property(TrainConfig.LANGUAGE)) == null && language != null) {
            base = base.with(TrainConfig.LANGUAGE, TrainConfig.LANGUAGE.parse(language, "tokenize.language"));
        }
        return TrainConfig.SETTINGS.bind(base, FrontEnd.CORENLP, props::getProperty);
    }

    /** Refuses a {@code lazylm.*} key that neither this trainer nor the annotator reads, naming the closest. */
    private static void refuseUnknownKeys(Properties props) {
        List<String> trainer = new ArrayList<>();
        for (Setting<?> s : TrainConfig.SETTINGS) {
            trainer.add(s.key());
        }
        trainer.addAll(OWN_OPTIONS);
        for (String key : props.stringPropertyNames()) {
            if (!key.startsWith(NAMESPACE)) {
                continue;
            }
            String rest = key.substring(NAMESPACE.length());
            boolean known = rest.startsWith("train.") ? trainer.contains(rest.substring("train.".length()))
                    : LazyLmSettings.OPTIONS.contains(rest);
            if (!known) {
                String option = rest.startsWith("train.") ? rest.substring("train.".length()) : rest;
                List<String> candidates = new ArrayList<>(trainer);
                if (!rest.startsWith("train.")) {
                    candidates.addAll(LazyLmSettings.OPTIONS);
                }
                String closest = ClosestName.closest(option, candidates);
                String suggestion = (trainer.contains(closest) ? PREFIX : NAMESPACE) + closest;
                throw new IllegalArgumentException(key + " is not a property of the trainer; did you mean "
                        + suggestion + "? (the trainer reads " + PREFIX + "* for " + String.join(", ", trainer)
                        + ")");
            }
        }
    }

    /** Segments the files with the pipeline, trains, and writes the model file; returns its path. */
    public Path trainOnFiles(List<Path> files) throws IOException {
        List<Annotation> documents = new ArrayList<>();
        for (Path file : files) {
            documents.add(new Annotation(TextCorpus.readText(file)));
        }
        return train(documents);
    }

    /** Runs the pipeline on each annotation that has no sentences yet, trains and writes the model file. */
    public Path train(Iterable<Annotation> annotations) throws IOException {
        List<String> documents = documents(annotations);
        List<String> valid = new ArrayList<>();
        String validFiles = get("valid", null);
        if (validFiles != null) {
            List<Annotation> v = new ArrayList<>();
            for (String f : validFiles.split(",")) {
                v.add(new Annotation(TextCorpus.readText(Path.of(f.trim()))));
            }
            valid = documents(v);
        }
        return trainOnDocuments(documents, valid);
    }

    /** The training documents: sentences, or a document's sentences on consecutive lines. */
    List<String> documents(Iterable<Annotation> annotations) {
        StanfordCoreNLP pipeline = null;
        boolean perSentence = unit().equals("sentence");
        List<String> out = new ArrayList<>();
        for (Annotation annotation : annotations) {
            if (annotation.get(CoreAnnotations.SentencesAnnotation.class) == null) {
                if (pipeline == null) {
                    pipeline = pipeline();
                }
                pipeline.annotate(annotation);
            }
            List<String> sentences = new ArrayList<>();
            for (CoreMap sentence : annotation.get(CoreAnnotations.SentencesAnnotation.class)) {
                String text = sentenceText(sentence.get(CoreAnnotations.TokensAnnotation.class));
                if (!text.isBlank()) {
                    sentences.add(text);
                }
            }
            if (perSentence) {
                out.addAll(sentences);
            } else if (!sentences.isEmpty()) {
                out.add(String.join("\n", sentences));
            }
        }
        return out;
    }

    /** The sentence as written: each token's original text after the whitespace before it. */
    static String sentenceText(List<CoreLabel> tokens) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < tokens.size(); k++) {
            CoreLabel token = tokens.get(k);
            if (k > 0) {
                String before = token.before();
                sb.append(before == null || before.isEmpty() ? "" : before.contains("\n") ? "\n" : " ");
            }
            sb.append(token.originalText() != null ? token.originalText() : token.word());
        }
        return sb.toString();
    }

    private Path trainOnDocuments(List<String> documents, List<String> validDocuments) throws IOException {
        Path output = output();
        TextCorpus train = TextCorpus.of(documents, "CoreNLP sentences");
        TextCorpus valid = validDocuments.isEmpty() ? null : TextCorpus.of(validDocuments, "CoreNLP validation sentences");
        Path workDir = Path.of(get("workDir", output + ".work"));
        try (TrainedModel trained = TrainingRecipe.of(settings).train(train, valid, workDir)) {
            trained.model().save(output);
            System.err.println(summary(trained.result(), documents.size(), unit(), valid != null, output));
        }
        return output;
    }

    /** The line printed after training; without validation text it says so instead of a NaN loss. */
    static String summary(TrainResult result, int documents, String unit, boolean validated, Path output) {
        String validation = validated
                ? String.format(Locale.ROOT, "validation loss %.4f", result.validLoss())
                : "no validation files (" + PREFIX + "valid names them)";
        return String.format(Locale.ROOT, "lazylm: trained %d steps on %d %ss, %s; wrote %s", result.steps(),
                documents, unit, validation, output);
    }

    private StanfordCoreNLP pipeline() {
        Properties p = new Properties();
        p.putAll(props);
        p.setProperty("annotators", get("annotators", "tokenize,ssplit"));
        return new StanfordCoreNLP(p);
    }

    private Path output() {
        String out = get("output", null);
        if (out == null || out.isBlank()) {
            throw new IllegalArgumentException(PREFIX + "output is required: the .lazylm.zip to write");
        }
        return Path.of(out);
    }

    private String unit() {
        String u = get("unit", "sentence").toLowerCase(Locale.ROOT);
        if (!u.equals("sentence") && !u.equals("document")) {
            throw new IllegalArgumentException(PREFIX + "unit=" + u + ": expected sentence or document");
        }
        return u;
    }

    private String get(String key, String fallback) {
        return props.getProperty(PREFIX + key, fallback);
    }

    /**
     * {@code java dev.lazyattention.corenlp.LazyLmTrainer -props train.properties} or
     * {@code -lazylm.train.files a.txt,b.txt -lazylm.train.output model.lazylm.zip [...]}.
     */
    public static void main(String[] args) {
        DjlSetup.offline();
        try {
            Properties props = StringUtils.argsToProperties(args);
            String files = props.getProperty(PREFIX + "files");
            if (files == null || files.isBlank()) {
                throw new IllegalArgumentException(PREFIX + "files is required: comma-separated text files");
            }
            List<Path> paths = new ArrayList<>();
            for (String f : files.split(",")) {
                Path p = Path.of(f.trim());
                if (!Files.isRegularFile(p)) {
                    throw new IllegalArgumentException(PREFIX + "files: " + p + ": file not found");
                }
                paths.add(p);
            }
            new LazyLmTrainer(props).trainOnFiles(paths);
        } catch (IOException | RuntimeException e) {
            System.err.println("LazyLmTrainer: " + e.getMessage());
            System.exit(1);
        }
    }
}

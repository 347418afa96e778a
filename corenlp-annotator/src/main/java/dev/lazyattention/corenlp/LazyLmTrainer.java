package dev.lazyattention.corenlp;

import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.lm.DjlSetup;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.BpeTrainer;
import dev.lazyattention.train.LmTrainer;
import dev.lazyattention.train.TrainOptions;
import dev.lazyattention.train.TrainResult;
import dev.lazyattention.lm.DeviceChoice;
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
 * sentences become the training text. Properties, CoreNLP style:
 *
 * <ul>
 *   <li>{@code lazylm.train.output}: the model file to write (required);
 *   <li>{@code lazylm.train.files}: comma-separated input files (for {@link #main});
 *   <li>{@code lazylm.train.valid}: comma-separated validation files (optional);
 *   <li>{@code lazylm.train.annotators}: the segmenting pipeline (default tokenize,ssplit); every other
 *       property (tokenize.language, ssplit.newlineIsSentenceBreak, clean.xmltags, ...) reaches it;
 *   <li>{@code lazylm.train.unit}: sentence (each sentence a document, as the annotator's sentence scope
 *       scores them) | document (sentences of a document on consecutive lines) (default sentence);
 *   <li>{@code lazylm.train.preset} (small), {@code attention} (lazy), {@code steps} (1000), {@code
 *       batchSize} (4), {@code gradAccum} (4), {@code learningRate} (1e-3), {@code seed} (1234), {@code
 *       vocabSize} (the preset's), {@code contextLength} (the preset's), {@code device} (auto), {@code
 *       language} (written into the model's manifest; default tokenize.language or und), {@code workDir}
 *       (checkpoints and metrics; default {@code <output>.work}), {@code progress} (a progress bar; true).
 * </ul>
 */
public final class LazyLmTrainer {

    public static final String PREFIX = "lazylm.train.";

    private final Properties props;

    public LazyLmTrainer(Properties props) {
        this.props = props;
        output(); // a missing output fails at construction, before any work
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

    private List<String> documents(Iterable<Annotation> annotations) {
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
        String preset = get("preset", "small");
        LmConfig.Builder builder = LmConfig.preset(preset);
        int vocab = integer("vocabSize", builder.build().vocabSize());
        BpeTokenizer tokenizer = new BpeTrainer(vocab).train(train.documents());
        builder.setVocabSize(tokenizer.vocabSize()).optAttention(AttentionVariant.parse(get("attention", "lazy")));
        String context = get("contextLength", null);
        if (context != null) {
            int c = integer("contextLength", 0);
            builder.optContextLength(c).optBiasLength(c);
        }
        LmConfig config;
        try {
            config = builder.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREFIX + "*: " + e.getMessage(), e);
        }
        TrainOptions options = new TrainOptions()
                .steps(integer("steps", 1000))
                .batchSize(integer("batchSize", 4))
                .gradientAccumulation(integer("gradAccum", 4))
                .learningRate((float) number("learningRate", 1e-3))
                .seed(integer("seed", 1234))
                .progressBar(Boolean.parseBoolean(get("progress", "true")));
        Path workDir = Path.of(get("workDir", output + ".work"));
        try (LazyLanguageModel lm = LazyLanguageModel.create(config, tokenizer,
                DeviceChoice.resolve(get("device", "auto"), PREFIX + "device"), integer("seed", 1234))) {
            TrainResult result = new LmTrainer(options, workDir)
                    .train(lm, train.tokens(tokenizer), valid == null ? null : valid.tokens(tokenizer));
            lm.save(output, language());
            System.err.printf(Locale.ROOT, "lazylm: trained %d steps on %d %ss, validation loss %.4f; wrote %s%n",
                    result.steps(), documents.size(), unit(), result.validLoss(), output);
        }
        return output;
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

    private String language() {
        return get("language", props.getProperty("tokenize.language", "und"));
    }

    private String get(String key, String fallback) {
        return props.getProperty(PREFIX + key, fallback);
    }

    private int integer(String key, int fallback) {
        String v = get(key, null);
        try {
            return v == null ? fallback : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + "=" + v + ": not an integer", e);
        }
    }

    private double number(String key, double fallback) {
        String v = get(key, null);
        try {
            return v == null ? fallback : Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + "=" + v + ": not a number", e);
        }
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

package dev.lazyattention.examples.corenlp;

import dev.lazyattention.corenlp.LazyLmAnnotations;
import dev.lazyattention.corenlp.LazyLmAnnotator;
import dev.lazyattention.corenlp.LazyLmJsonOutputter;
import dev.lazyattention.corenlp.LazyLmTrainer;
import dev.lazyattention.engine.DjlSetup;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.util.CoreMap;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A CoreNLP pipeline {@code tokenize,ssplit,pos,lazylm}: first a tiny model is trained over a CoreNLP
 * pipeline with {@link LazyLmTrainer} (unless the model file is there from an earlier run), then every token
 * gets its surprisal, every sentence its perplexity, and the annotated document is written as JSON.
 */
public final class CoreNlpPipelineExample {

    static final String TEXT = "The boats come back to the harbour in the evening. "
            + "Evening the in harbour the to back come boats the. "
            + "After school the children walk down to the beach.";

    private CoreNlpPipelineExample() {}

    public static void main(String[] args) throws IOException {
        // Before anything loads the engine: no usage report, no download (libtorch comes from the native jar).
        // Values given with -D or as environment variables (OPT_OUT_TRACKING, DJL_OFFLINE) win.
        DjlSetup.offline();
        // The example's tensors are tiny: one libtorch thread is faster than one per core, above all on a busy
        // machine. -Dai.djl.pytorch.num_threads=N overrides it; drop this line for models of useful size.
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        Path workDir = Path.of(args.length > 0 ? args[0] : "target");
        Path model = workDir.resolve("corenlp-example.lazylm.zip");
        if (!Files.exists(model)) {
            train(model);
        }

        Properties props = new Properties();
        props.setProperty("annotators", "tokenize,ssplit,pos,lazylm");
        props.setProperty("customAnnotatorClass.lazylm", LazyLmAnnotator.class.getName());
        props.setProperty("lazylm.model", model.toString());
        props.setProperty("lazylm.topK", "3");                 // the 3 likeliest next pieces after each sentence
        StanfordCoreNLP pipeline = new StanfordCoreNLP(props);

        Annotation document = new Annotation(TEXT);
        pipeline.annotate(document);

        for (CoreMap sentence : document.get(CoreAnnotations.SentencesAnnotation.class)) {
            System.out.println(sentence.get(CoreAnnotations.TextAnnotation.class));
            for (CoreLabel token : sentence.get(CoreAnnotations.TokensAnnotation.class)) {
                double logProb = token.get(LazyLmAnnotations.TokenLogProbability.class);   // natural log
                double surprisal = token.get(LazyLmAnnotations.TokenSurprisal.class);      // bits: -log2 p
                System.out.printf(Locale.ROOT, "  %-10s %-4s ln p %8.3f  surprisal %6.2f bits%n",
                        token.word(), token.tag(), logProb, surprisal);
            }
            System.out.printf(Locale.ROOT, "  sentence: ln P %.3f over %d pieces, perplexity %.2f, %.3f bits per byte%n",
                    sentence.get(LazyLmAnnotations.SentenceLogProbability.class),
                    sentence.get(LazyLmAnnotations.SentencePieceCount.class),
                    sentence.get(LazyLmAnnotations.SentencePerplexity.class),
                    sentence.get(LazyLmAnnotations.SentenceBitsPerByte.class));
        }
        System.out.printf(Locale.ROOT, "document: ln P %.3f over %d pieces, perplexity %.2f%n",
                document.get(LazyLmAnnotations.DocumentLogProbability.class),
                document.get(LazyLmAnnotations.DocumentPieceCount.class),
                document.get(LazyLmAnnotations.DocumentPerplexity.class));

        Path json = workDir.resolve("corenlp-example.json");
        try (OutputStream out = Files.newOutputStream(json)) {
            new LazyLmJsonOutputter().print(document, out, pipeline);   // CoreNLP's JSON plus "lazylm" objects
        }
        System.out.println("JSON: " + json);
    }

    /** Trains a tiny model on corpus.txt, segmented into sentences by CoreNLP's tokenize,ssplit. */
    static void train(Path model) throws IOException {
        Properties props = new Properties();
        props.setProperty("lazylm.train.output", model.toString());
        props.setProperty("lazylm.train.workDir", model + ".work");   // checkpoints and metrics
        props.setProperty("lazylm.train.preset", "tiny");             // "small" and 1000 steps for a useful model
        props.setProperty("lazylm.train.steps", "150");
        props.setProperty("lazylm.train.batchSize", "8");
        props.setProperty("lazylm.train.gradAccum", "1");
        props.setProperty("lazylm.train.progress", "false");
        props.setProperty("tokenize.language", "en");                 // also the model's language code
        deleteTree(Path.of(model + ".work"));                         // a new run needs an empty folder
        new LazyLmTrainer(props).train(List.of(new Annotation(resource("/corpus.txt"))));
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = CoreNlpPipelineExample.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("resource not found: " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}

package dev.lazyattention.corenlp;

import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.testing.TinyModels;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** One tiny trained model file for all annotator tests, and pipelines around it. */
final class AnnotatorFixture {

    private static Path modelFile;

    private AnnotatorFixture() {}

    static synchronized Path modelFile() throws IOException {
        if (modelFile == null) {
            Path dir = Files.createTempDirectory("lazylm-corenlp-test");
            modelFile = TinyModels.trainedModelFile(dir.resolve("run"), AttentionVariant.LAZY, 30);
        }
        return modelFile;
    }

    /** Properties of a tokenize,ssplit,lazylm pipeline with the given extra lazylm.* options. */
    static Properties props(String... options) throws IOException {
        Properties p = new Properties();
        p.setProperty("annotators", "tokenize,ssplit,lazylm");
        p.setProperty("customAnnotatorClass.lazylm", LazyLmAnnotator.class.getName());
        p.setProperty("lazylm.model", modelFile().toString());
        p.setProperty("lazylm.device", "cpu");
        for (int i = 0; i < options.length; i += 2) {
            p.setProperty("lazylm." + options[i], options[i + 1]);
        }
        return p;
    }

    static StanfordCoreNLP pipeline(String... options) throws IOException {
        return new StanfordCoreNLP(props(options));
    }
}

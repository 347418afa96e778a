package dev.lazyattention.corenlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.SyntheticCorpus;
import edu.stanford.nlp.pipeline.Annotation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training over a CoreNLP pipeline, markup included. */
class LazyLmTrainerTest {

    @TempDir
    Path dir;

    private Properties props(Path output) {
        Properties p = new Properties();
        p.setProperty("lazylm.train.output", output.toString());
        p.setProperty("lazylm.train.preset", "tiny");
        p.setProperty("lazylm.train.vocabSize", "300");
        p.setProperty("lazylm.train.contextLength", "32");
        p.setProperty("lazylm.train.steps", "6");
        p.setProperty("lazylm.train.device", "cpu");
        p.setProperty("lazylm.train.progress", "false");
        p.setProperty("lazylm.train.language", "en");
        return p;
    }

    @Test
    void trainsFromXmlFilesThroughCleanXmlAndWritesALoadableModel() throws IOException {
        Path file = dir.resolve("docs.xml");
        StringBuilder xml = new StringBuilder("<docs>");
        for (String d : SyntheticCorpus.documents(60, 5)) {
            xml.append("<doc><p>").append(d).append("</p></doc>\n");
        }
        Files.writeString(file, xml.append("</docs>").toString());
        Path output = dir.resolve("model.lazylm.zip");
        Properties p = props(output);
        p.setProperty("lazylm.train.annotators", "tokenize,cleanxml,ssplit");
        new LazyLmTrainer(p).trainOnFiles(List.of(file));
        try (LazyLanguageModel lm = LazyLanguageModel.load(output, Device.cpu())) {
            assertEquals("en", lm.language());
            assertEquals(32, lm.config().contextLength());
            int[] ids = lm.tokenizer().encode("<doc>");
            assertTrue(ids.length > 1, "markup was cleaned away, so '<doc>' is not a learned token");
        }
    }

    @Test
    void sentenceTextKeepsTheOriginalSpacing() {
        Annotation doc = new Annotation("Mr. Smith went to Washington.  It rained.");
        Properties p = new Properties();
        p.setProperty("annotators", "tokenize,ssplit");
        new edu.stanford.nlp.pipeline.StanfordCoreNLP(p).annotate(doc);
        var sentences = doc.get(edu.stanford.nlp.ling.CoreAnnotations.SentencesAnnotation.class);
        assertEquals("Mr. Smith went to Washington.", LazyLmTrainer.sentenceText(
                sentences.get(0).get(edu.stanford.nlp.ling.CoreAnnotations.TokensAnnotation.class)));
    }

    @Test
    void missingOutputOrBadValuesAreRefusedFirst() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LazyLmTrainer(new Properties()));
        assertTrue(e.getMessage().contains("lazylm.train.output is required"));
        Properties p = props(dir.resolve("m.zip"));
        p.setProperty("lazylm.train.steps", "many");
        IllegalArgumentException steps = assertThrows(IllegalArgumentException.class,
                () -> new LazyLmTrainer(p).train(List.of(new Annotation("The dog sees the cat."))));
        assertTrue(steps.getMessage().contains("lazylm.train.steps=many"), steps.getMessage());
    }
}

package dev.lazyattention.corenlp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelFileFormat;
import dev.lazyattention.testing.SyntheticCorpus;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.train.TrainedModel;
import dev.lazyattention.train.TrainingRecipe;
import dev.lazyattention.settings.Setting;
import dev.lazyattention.train.TrainConfig;
import edu.stanford.nlp.pipeline.Annotation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
    void theSummarySaysPlainlyThatThereWasNoValidation() {
        Path out = dir.resolve("m.lazylm.zip");
        dev.lazyattention.train.TrainResult none = new dev.lazyattention.train.TrainResult(6, 5.25, Double.NaN, 100, 1,
                0, out, out, out);
        String withoutValidation = LazyLmTrainer.summary(none, 40, "sentence", false, out);
        assertEquals("lazylm: trained 6 steps on 40 sentences, no validation files (lazylm.train.valid names them);"
                + " wrote " + out, withoutValidation);
        dev.lazyattention.train.TrainResult validated = new dev.lazyattention.train.TrainResult(6, 5.25, 4.5, 100, 1,
                0, out, out, out);
        assertEquals("lazylm: trained 6 steps on 40 sentences, validation loss 4.5000; wrote " + out,
                LazyLmTrainer.summary(validated, 40, "sentence", true, out));
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

    private static List<Annotation> annotations() {
        List<Annotation> docs = new ArrayList<>();
        for (String d : SyntheticCorpus.documents(80, 6)) {
            docs.add(new Annotation(d));
        }
        return docs;
    }

    @Test
    void theSameSettingsTrainTheModelTheRecipeTrainsWhenCalledDirectly() throws IOException {
        Properties p = new Properties();
        Path output = dir.resolve("corenlp.lazylm.zip");
        p.setProperty("lazylm.train.output", output.toString());
        TinyModels.recipeSettingsText(3).forEach((name, value) -> p.setProperty("lazylm.train." + name, value));
        LazyLmTrainer trainer = new LazyLmTrainer(p);
        trainer.train(annotations());

        // The recipe on the very sentences the pipeline made, with the settings given to it directly.
        List<String> sentences = new LazyLmTrainer(p).documents(annotations());
        try (TrainedModel direct = TrainingRecipe.of(TinyModels.recipeSettings(3))
                .train(TextCorpus.of(sentences, "sentences"), null, dir.resolve("direct"))) {
            assertArrayEquals(ModelFile.read(direct.result().model()).get(ModelFileFormat.PARAMETERS),
                    ModelFile.read(output).get(ModelFileFormat.PARAMETERS));
            assertEquals(direct.result().trainLoss(), lastTrainLoss(Path.of(output + ".work")), 0.0);
        }
    }

    private static double lastTrainLoss(Path workDir) throws IOException {
        double loss = Double.NaN;
        for (String line : Files.readAllLines(workDir.resolve("metrics.jsonl"))) {
            var o = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
            if (o.get("event").getAsString().equals("train")) {
                loss = o.get("loss").getAsDouble();
            }
        }
        return loss;
    }

    @Test
    void aMisspeltPropertyIsRefusedWithTheClosestKnownOne() {
        assertRefused("lazylm.train.stpes", "5", "did you mean lazylm.train.steps?");
        assertRefused("lazylm.train.warmup", "5", "did you mean lazylm.train.warmupSteps?");
        assertRefused("lazylm.train.outptu", "x.zip", "did you mean lazylm.train.output?");
        assertRefused("lazylm.steps", "5", "did you mean lazylm.train.steps?");
        assertRefused("lazylm.topk", "5", "did you mean lazylm.topK?");
        // The annotator's own properties may share the file.
        Properties p = props(dir.resolve("m.zip"));
        p.setProperty("lazylm.batchSize", "8");
        p.setProperty("lazylm.model", "elsewhere.lazylm.zip");
        assertEquals(4, new LazyLmTrainer(p).settings().batchSize(), "the annotator's batchSize is not training's");
    }

    private void assertRefused(String key, String value, String suggestion) {
        Properties p = props(dir.resolve("m.zip"));
        p.setProperty(key, value);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LazyLmTrainer(p));
        assertTrue(e.getMessage().startsWith(key + " ") && e.getMessage().contains(suggestion), e.getMessage());
    }

    @Test
    void everyDefaultIsTheSettingsTypesOwn() {
        Properties p = new Properties();
        p.setProperty("lazylm.train.output", dir.resolve("m.zip").toString());
        assertEquals(TrainConfig.DEFAULTS, new LazyLmTrainer(p).settings());
        p.setProperty("tokenize.language", "fr");
        assertEquals(TrainConfig.DEFAULTS.with(TrainConfig.LANGUAGE, "fr"),
                new LazyLmTrainer(p).settings());
        p.setProperty("lazylm.train.language", "de");
        assertEquals("de", new LazyLmTrainer(p).settings().language(), "the trainer's own property wins");
        // Every setting is a property under its key, warmup and weight decay included.
        for (Setting<?> s : TrainConfig.SETTINGS) {
            assertEquals("lazylm.train." + s.key(), LazyLmTrainer.property(s));
        }
        p.setProperty("lazylm.train.warmupSteps", "7");
        p.setProperty("lazylm.train.weightDecay", "0.02");
        TrainConfig options = new LazyLmTrainer(p).settings();
        assertEquals(7, options.warmupSteps());
        assertEquals(0.02f, options.weightDecay());
    }
}

package dev.lazyattention.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.corenlp.LazyLmAnnotations;
import dev.lazyattention.corenlp.LazyLmAnnotator;
import dev.lazyattention.serving.LazyLmCriteria;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.modelfile.ModelFileFormat;
import dev.lazyattention.opennlp.LazyAttentionLanguageModel;
import dev.lazyattention.opennlp.LazyAttentionModel;
import dev.lazyattention.testing.HostileModelFiles;
import dev.lazyattention.testing.TinyModels;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import opennlp.tools.tokenize.WhitespaceTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written before the block and the LM were split named the PyTorch engine in {@code
 * serving.properties} and the OpenNLP adapter's serializer class in {@code manifest.properties}. New files
 * name neither; both kinds load in every ecosystem and give the same numbers.
 */
class EarlierModelFilesTest {

    private static final String TEXT = "the cat sat on the mat";

    /** The manifest and serving lines the earlier writer added, as it wrote them. */
    private static Map<String, byte[]> inEarlierLayout(Map<String, byte[]> entries) {
        Map<String, byte[]> old = new LinkedHashMap<>(entries);
        StringBuilder manifest = new StringBuilder(text(entries, ModelFileFormat.MANIFEST));
        for (String entry : new String[] {ModelFileFormat.CONFIG, ModelFileFormat.TOKENIZER,
                ModelFileFormat.PARAMETERS, ModelFileFormat.CHECKSUMS, ModelFileFormat.TRAINING_STATE,
                ModelFileFormat.OPTIMIZER_STATE}) {
            manifest.append("serializer-class-").append(entry).append("=dev.lazyattention.opennlp.ModelEntrySerializer\n");
        }
        old.put(ModelFileFormat.MANIFEST, manifest.toString().getBytes(StandardCharsets.ISO_8859_1));
        old.put(ModelFileFormat.SERVING, ("engine=PyTorch\n" + text(entries, ModelFileFormat.SERVING))
                .getBytes(StandardCharsets.ISO_8859_1));
        return old;
    }

    private static String text(Map<String, byte[]> entries, String name) {
        return new String(entries.get(name), StandardCharsets.ISO_8859_1);
    }

    @Test
    void newFilesNameNoEngineAndNoAdapterClass(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("new.lazylm.zip");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            lm.save(file);
        }
        Map<String, byte[]> entries = HostileModelFiles.entriesOf(file);
        assertFalse(text(entries, ModelFileFormat.SERVING).contains("engine="), text(entries, ModelFileFormat.SERVING));
        assertFalse(text(entries, ModelFileFormat.MANIFEST).contains("dev.lazyattention.opennlp"),
                text(entries, ModelFileFormat.MANIFEST));
    }

    @Test
    void earlierAndNewFilesGiveTheSameNumbersEverywhere(@TempDir Path dir) throws Exception {
        Path current = dir.resolve("new.lazylm.zip");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            lm.save(current);
        }
        Path earlier = HostileModelFiles.signed(dir, "old.lazylm.zip",
                inEarlierLayout(HostileModelFiles.entriesOf(current)));

        double criteria = criteria(current);
        assertEquals(criteria, criteria(earlier), 1e-6, "DJL Criteria");
        assertEquals(openNlp(current), openNlp(earlier), 1e-6, "OpenNLP");
        assertEquals(coreNlp(current), coreNlp(earlier), 1e-6, "CoreNLP");
        try (LazyLanguageModel a = LazyLanguageModel.load(current, Device.cpu());
                LazyLanguageModel b = LazyLanguageModel.load(earlier, Device.cpu())) {
            assertEquals(a.parameterCount(), b.parameterCount());
        }
    }

    private static double criteria(Path file) throws Exception {
        try (ZooModel<String, Float> model = LazyLmCriteria.builder(file).setTypes(String.class, Float.class)
                .optDevice(Device.cpu()).build().loadModel();
                Predictor<String, Float> p = model.newPredictor()) {
            return p.predict(TEXT);
        }
    }

    private static double openNlp(Path file) throws Exception {
        try (LazyAttentionModel m = new LazyAttentionModel(file)) {
            return new LazyAttentionLanguageModel(m).logProbability(WhitespaceTokenizer.INSTANCE.tokenize(TEXT));
        }
    }

    private static double coreNlp(Path file) {
        Properties p = new Properties();
        p.setProperty("annotators", "tokenize,ssplit,lazylm");
        p.setProperty("customAnnotatorClass.lazylm", LazyLmAnnotator.class.getName());
        p.setProperty("lazylm.model", file.toString());
        p.setProperty("lazylm.device", "cpu");
        Annotation doc = new Annotation(TEXT);
        new StanfordCoreNLP(p).annotate(doc);
        return doc.get(CoreAnnotations.SentencesAnnotation.class).get(0)
                .get(LazyLmAnnotations.SentenceLogProbability.class);
    }
}

package dev.lazyattention.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.corenlp.LazyLmAnnotations;
import dev.lazyattention.corenlp.LazyLmAnnotator;
import dev.lazyattention.corenlp.LazyLmJsonOutputter;
import dev.lazyattention.corenlp.LazyLmTrainer;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.serving.LazyLmCriteria;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.opennlp.LazyAttentionLanguageModel;
import dev.lazyattention.opennlp.LazyAttentionModel;
import dev.lazyattention.testing.SyntheticCorpus;
import dev.lazyattention.testing.TinyModels;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.pipeline.StanfordCoreNLPServer;
import edu.stanford.nlp.util.CoreMap;
import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import opennlp.tools.tokenize.WhitespaceTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One model file, trained once, read by DJL (directly and through Criteria), by the CoreNLP annotator
 * (pipeline and server) and by the OpenNLP adapter: every one gives the same sentence log-probabilities.
 */
class OneFileThreeEcosystemsTest {

    @TempDir
    static Path dir;

    static Path modelFile;
    static List<String> sentences;

    @BeforeAll
    static void trainOnce() throws IOException {
        modelFile = TinyModels.trainedModelFile(dir.resolve("run"), AttentionVariant.LAZY, 40);
        Random random = new Random(17);
        sentences = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            sentences.add(SyntheticCorpus.sentence(random));
        }
    }

    /** DJL directly: the block's scorer, each sentence from a document boundary. */
    private static double[] djl() throws IOException {
        return djl(modelFile);
    }

    /** {@link #djl()} on another copy of the model. */
    private static double[] djl(Path file) throws IOException {
        try (LazyLanguageModel lm = LazyLanguageModel.load(file, Device.cpu())) {
            List<ScoringRequest> requests = new ArrayList<>();
            for (String s : sentences) {
                int[] ids = lm.tokenizer().encode(s);
                int[] tokens = new int[ids.length + 1];
                tokens[0] = lm.tokenizer().endOfTextId();
                System.arraycopy(ids, 0, tokens, 1, ids.length);
                requests.add(new ScoringRequest(tokens, 1));
            }
            return new SequenceScorer(lm, ScoringOptions.defaults(lm.config().contextLength())).score(requests)
                    .stream().mapToDouble(x -> x.logProbability()).toArray();
        }
    }

    private static Properties coreNlpProps(Path model) {
        Properties p = new Properties();
        p.setProperty("annotators", "tokenize,ssplit,lazylm");
        p.setProperty("customAnnotatorClass.lazylm", LazyLmAnnotator.class.getName());
        p.setProperty("lazylm.model", model.toString());
        p.setProperty("lazylm.device", "cpu");
        p.setProperty("ssplit.eolonly", "true"); // one sentence a line, exactly as given
        return p;
    }

    private static double[] coreNlp(Path model) {
        Annotation doc = new Annotation(String.join("\n", sentences));
        new StanfordCoreNLP(coreNlpProps(model)).annotate(doc);
        List<CoreMap> s = doc.get(CoreAnnotations.SentencesAnnotation.class);
        assertEquals(sentences.size(), s.size());
        return s.stream().mapToDouble(x -> x.get(LazyLmAnnotations.SentenceLogProbability.class)).toArray();
    }

    private static double[] openNlp(Path model) throws IOException {
        try (LazyAttentionModel m = new LazyAttentionModel(model)) {
            LazyAttentionLanguageModel lm = new LazyAttentionLanguageModel(m);
            double[] out = new double[sentences.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = lm.logProbability(WhitespaceTokenizer.INSTANCE.tokenize(sentences.get(i)));
            }
            return out;
        }
    }

    private static void assertSame(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4, what + ", sentence " + i + ": " + sentences.get(i));
        }
    }

    @Test
    void djlCoreNlpAndOpenNlpGiveTheSameSentenceLogProbabilities() throws Exception {
        double[] reference = djl();
        assertSame(reference, coreNlp(modelFile), "CoreNLP pipeline");
        assertSame(reference, openNlp(modelFile), "OpenNLP LanguageModel");
        assertSame(reference, criteria(), "DJL Criteria");
        assertSame(reference, coreNlpServer(), "CoreNLP server");
    }

    /** The model exported as a folder in Hugging Face's layout: every loader reads it with the same results. */
    @Test
    void theModelAsAFolderGivesEveryLoaderTheSameSentenceLogProbabilities() throws Exception {
        double[] reference = djl();
        Path folder = dir.resolve("folder");
        try (LazyLanguageModel lm = LazyLanguageModel.load(modelFile, Device.cpu())) {
            lm.exportFolder(folder, DataType.FLOAT32);
        }
        assertSame(reference, coreNlp(folder), "CoreNLP pipeline, folder");
        assertSame(reference, openNlp(folder), "OpenNLP LanguageModel, folder");
        assertSame(reference, criteria(folder), "DJL Criteria, folder");
    }

    private static double[] criteria() throws Exception {
        return criteria(modelFile);
    }

    private static double[] criteria(Path modelFile) throws Exception {
        Criteria<String, Float> criteria = LazyLmCriteria.builder(modelFile).setTypes(String.class, Float.class)
                .optDevice(Device.cpu()).build();
        try (ZooModel<String, Float> model = criteria.loadModel(); Predictor<String, Float> p = model.newPredictor()) {
            double[] out = new double[sentences.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = p.predict(sentences.get(i));
            }
            return out;
        }
    }

    /** Exposes the server's HTTP server so that the test can stop it. */
    static final class TestServer extends StanfordCoreNLPServer {
        TestServer(int port) throws IOException {
            super(port, 60_000, false);
        }

        void stop() {
            server.stop(0);
        }
    }

    private static double[] coreNlpServer() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        TestServer server = new TestServer(port);
        server.run();
        try {
            JsonObject props = new JsonObject();
            coreNlpProps(modelFile).forEach((k, v) -> props.addProperty((String) k, (String) v));
            props.addProperty("outputFormat", "custom");
            props.addProperty("customOutputter", LazyLmJsonOutputter.class.getName());
            URI uri = URI.create("http://127.0.0.1:" + port + "/?properties="
                    + URLEncoder.encode(props.toString(), StandardCharsets.UTF_8));
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            try (OutputStream os = c.getOutputStream()) {
                os.write(String.join("\n", sentences).getBytes(StandardCharsets.UTF_8));
            }
            assertEquals(200, c.getResponseCode());
            JsonArray s = JsonParser.parseString(new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .getAsJsonObject().getAsJsonArray("sentences");
            double[] out = new double[s.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = s.get(i).getAsJsonObject().getAsJsonObject("lazylm").get("logProb").getAsDouble();
            }
            return out;
        } finally {
            server.stop();
        }
    }

    @Test
    void aFileWrittenByOpenNlpLoadsInCoreNlpAndDjl() throws IOException {
        Path written = dir.resolve("serialized.lazylm.zip");
        try (LazyAttentionModel m = new LazyAttentionModel(modelFile); OutputStream out = Files.newOutputStream(written)) {
            m.serialize(out);
        }
        double[] reference = djl();
        assertSame(reference, coreNlp(written), "CoreNLP on OpenNLP's file");
        assertSame(reference, djl(written), "DJL on OpenNLP's file");
    }

    @Test
    void aFileWrittenByTheCoreNlpTrainerLoadsInOpenNlp() throws IOException {
        Path output = dir.resolve("corenlp-trained.lazylm.zip");
        Properties p = new Properties();
        p.setProperty("lazylm.train.output", output.toString());
        p.setProperty("lazylm.train.preset", "tiny");
        p.setProperty("lazylm.train.vocabSize", "300");
        p.setProperty("lazylm.train.contextLength", "32");
        p.setProperty("lazylm.train.steps", "5");
        p.setProperty("lazylm.train.device", "cpu");
        p.setProperty("lazylm.train.progress", "false");
        p.setProperty("lazylm.train.language", "en");
        List<Annotation> docs = new ArrayList<>();
        for (String d : SyntheticCorpus.documents(40, 3)) {
            docs.add(new Annotation(d));
        }
        new LazyLmTrainer(p).train(docs);
        try (LazyAttentionModel m = new LazyAttentionModel(output)) {
            assertEquals("en", m.getLanguage());
            double lp = new LazyAttentionLanguageModel(m).logProbability("The", "dog", "sees", "the", "cat.");
            assertTrue(Double.isFinite(lp) && lp < 0, "log-probability " + lp);
        }
    }
}

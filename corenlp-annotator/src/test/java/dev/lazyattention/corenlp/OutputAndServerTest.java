package dev.lazyattention.corenlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.pipeline.StanfordCoreNLPServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON outputter from the API, CoreNLP's command line and the real CoreNLP server. */
class OutputAndServerTest {

    static final String TEXT = "The quick fox sees the dog. The old farmer helps the child.";

    @TempDir
    Path dir;

    private static Properties outputProps(Properties p) {
        p.setProperty("outputFormat", "custom");
        p.setProperty("customOutputter", LazyLmJsonOutputter.class.getName());
        return p;
    }

    /** Checks the standard fields and ours against the annotation the pipeline produced. */
    private static void checkJson(JsonObject root, Annotation doc) {
        JsonArray sentences = root.getAsJsonArray("sentences");
        assertEquals(2, sentences.size());
        double total = 0;
        for (int s = 0; s < 2; s++) {
            JsonObject js = sentences.get(s).getAsJsonObject();
            assertEquals(s, js.get("index").getAsInt(), "CoreNLP's own fields stay");
            double sentence = js.getAsJsonObject("lazylm").get("logProb").getAsDouble();
            total += sentence;
            double sum = 0;
            for (var t : js.getAsJsonArray("tokens")) {
                JsonObject token = t.getAsJsonObject();
                assertTrue(token.has("word") && token.has("characterOffsetBegin"));
                sum += token.getAsJsonObject("lazylm").get("logProb").getAsDouble();
            }
            assertEquals(sentence, sum, 1e-6);
            assertTrue(js.getAsJsonObject("lazylm").has("bitsPerByte"));
        }
        assertEquals(total, root.getAsJsonObject("lazylm").get("logProb").getAsDouble(), 1e-6);
        if (doc != null) {
            List<CoreLabel> tokens = doc.get(CoreAnnotations.TokensAnnotation.class);
            double first = tokens.get(0).get(LazyLmAnnotations.TokenLogProbability.class);
            double json = sentences.get(0).getAsJsonObject().getAsJsonArray("tokens").get(0).getAsJsonObject()
                    .getAsJsonObject("lazylm").get("logProb").getAsDouble();
            assertEquals(first, json, 1e-12);
        }
    }

    @Test
    void outputterAddsTheFieldsToCoreNlpJson() throws IOException {
        StanfordCoreNLP pipeline = new StanfordCoreNLP(outputProps(AnnotatorFixture.props()));
        Annotation doc = new Annotation(TEXT);
        pipeline.annotate(doc);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LazyLmJsonOutputter().print(doc, out, pipeline);
        checkJson(JsonParser.parseString(out.toString(StandardCharsets.UTF_8)).getAsJsonObject(), doc);
    }

    @Test
    void coreNlpCommandLineWritesTheJson() throws IOException {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, TEXT);
        Path props = dir.resolve("lazylm.properties");
        try (OutputStream os = Files.newOutputStream(props)) {
            outputProps(AnnotatorFixture.props()).store(os, null);
        }
        StanfordCoreNLP.main(new String[] {"-props", props.toString(), "-file", input.toString(),
            "-outputDirectory", dir.toString()});
        Path output = dir.resolve("in.txt.out");
        assertTrue(Files.exists(output), "CoreNLP writes <file>.out for the custom outputter");
        checkJson(JsonParser.parseString(Files.readString(output)).getAsJsonObject(), null);
    }

    /** Exposes the server's HTTP server so that the test can stop it. */
    static final class TestServer extends StanfordCoreNLPServer {
        TestServer(int port) throws IOException {
            super(port, 60_000, false);
        }

        /** A server whose default properties are {@code props}, as with {@code -serverProperties FILE}. */
        TestServer(Properties props, int port) throws IOException {
            super(props, port, 60_000, false);
        }

        void stop() {
            server.stop(0);
        }
    }

    /** Status and body of a POST of {@code text} with the given request properties. */
    static String[] post(int port, String text, String... properties) throws IOException {
        return ServerTrustTest.post(port, text, properties);
    }

    /**
     * The README's way: the stock server started with the annotator's properties file (outputFormat=custom,
     * customOutputter=LazyLmJsonOutputter) answers a plain request with the lazylm values, the same JSON as
     * the README's Java call prints; a request for outputFormat=json gets CoreNLP's JSON, which has none; a
     * configuration error answers with the annotator's message, not CoreNLP's reflection error.
     */
    @Test
    void theStockServerStartedWithThePropertiesFileAnswersWithTheLazylmValues() throws Exception {
        int port = ServerTrustTest.freePort();
        Properties props = outputProps(AnnotatorFixture.props());
        TestServer server = new TestServer(props, port);
        server.run();
        try {
            String[] plain = post(port, TEXT);
            assertEquals("200", plain[0], plain[1]);
            JsonObject served = JsonParser.parseString(plain[1]).getAsJsonObject();
            checkJson(served, null);

            StanfordCoreNLP pipeline = new StanfordCoreNLP(props);
            Annotation doc = new Annotation(TEXT);
            pipeline.annotate(doc);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new LazyLmJsonOutputter().print(doc, out, pipeline);
            assertEquals(JsonParser.parseString(out.toString(StandardCharsets.UTF_8)), served,
                    "the Java call prints the JSON the server answers");

            String[] json = post(port, TEXT, "outputFormat", "json");
            assertEquals("200", json[0], json[1]);
            assertTrue(JsonParser.parseString(json[1]).getAsJsonObject().has("sentences"), json[1]);
            assertFalse(json[1].contains("lazylm"), "CoreNLP's own JSON drops every lazylm value: " + json[1]);

            String[] typo = post(port, TEXT, "lazylm.modle", "x.lazylm.zip");
            assertEquals("500", typo[0], "the stock server answers every failure with 500");
            assertTrue(typo[1].contains("lazylm.modle is not a property of the lazylm annotator; did you mean"
                    + " lazylm.model?"), typo[1]);
            assertFalse(typo[1].contains("MetaClass"), typo[1]);
        } finally {
            server.stop();
        }
    }

    @Test
    void coreNlpServerRunsTheAnnotatorFromRequestProperties() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        TestServer server = new TestServer(port);
        server.run();
        try {
            JsonObject props = new JsonObject();
            outputProps(AnnotatorFixture.props()).forEach((k, v) -> props.addProperty((String) k, (String) v));
            URI uri = URI.create("http://127.0.0.1:" + port + "/?properties="
                    + URLEncoder.encode(props.toString(), StandardCharsets.UTF_8));
            HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
            connection.setRequestMethod("POST");
            connection.setDoOutput(true);
            connection.getOutputStream().write(TEXT.getBytes(StandardCharsets.UTF_8));
            assertEquals(200, connection.getResponseCode());
            String body = new String(connection.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            checkJson(JsonParser.parseString(body).getAsJsonObject(), null);
        } finally {
            server.stop();
        }
    }
}

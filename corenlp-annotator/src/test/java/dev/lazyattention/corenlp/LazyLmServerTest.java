package dev.lazyattention.corenlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import dev.lazyattention.eval.TokenPrediction;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.CoreNLPProtos;
import edu.stanford.nlp.pipeline.ProtobufAnnotationSerializer;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.pipeline.StanfordCoreNLPClient;
import edu.stanford.nlp.util.CoreMap;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LazyLmServer} started as its {@code main} starts it: where it listens, the line it prints, the flags
 * it refuses, text that is not UTF-8, and CoreNLP's own Java client against it.
 */
class LazyLmServerTest {

    static final String TEXT = "The ship sailed at dawn. The crew was glad.";

    static LazyLmServer server;
    static String printed;

    /** The flags of a server for the tiny model, as a user passes them on the command line. */
    static List<String> flags(String... more) throws IOException {
        List<String> args = new ArrayList<>();
        AnnotatorFixture.props("maxTopK", "5", "attentionStats", "true")
                .forEach((k, v) -> Collections.addAll(args, "-" + k, (String) v));
        Collections.addAll(args, "-port", "0", "-quiet", "true");
        Collections.addAll(args, more);
        return args;
    }

    /** Launches a server with {@code args}, returning it and what it printed on standard output. */
    static Object[] launch(List<String> args) throws IOException {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            LazyLmServer s = LazyLmServer.launch(args.toArray(new String[0]));
            return new Object[] {s, captured.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
        }
    }

    @BeforeAll
    static void start() throws IOException {
        Object[] launched = launch(flags());
        server = (LazyLmServer) launched[0];
        printed = (String) launched[1];
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    @Test
    void byDefaultItListensOnLoopbackOnlyAndPrintsWhereOnceReady() throws IOException {
        assertEquals("LazyLmServer listening on http://127.0.0.1:" + server.port() + "/\n",
                printed.replace(System.lineSeparator(), "\n"));
        InetSocketAddress bound = server.getServer().orElseThrow().getAddress();
        assertTrue(bound.getAddress().isLoopbackAddress(), bound.toString());
        try (Socket loopback = new Socket("127.0.0.1", server.port())) {
            assertTrue(loopback.isConnected());
        }
        InetAddress outside = nonLoopbackAddress();
        if (outside != null) {
            assertThrows(ConnectException.class, () -> new Socket(outside, server.port()).close(),
                    "the port is closed on " + outside);
        }
    }

    @Test
    void serverAddressNamesAnotherAddress() throws IOException {
        Object[] launched = launch(flags("-server_address", "0.0.0.0"));
        LazyLmServer everywhere = (LazyLmServer) launched[0];
        try {
            assertTrue(everywhere.getServer().orElseThrow().getAddress().getAddress().isAnyLocalAddress());
            assertEquals("LazyLmServer listening on http://0.0.0.0:" + everywhere.port() + "/",
                    ((String) launched[1]).strip());
            InetAddress outside = nonLoopbackAddress();
            if (outside != null) {
                new Socket(outside, everywhere.port()).close();
            }
        } finally {
            everywhere.stop();
        }
    }

    @Test
    void anUnknownFlagIsRefusedWithTheClosestKnownOneBeforeAnythingStarts() {
        IllegalArgumentException prot = assertThrows(IllegalArgumentException.class,
                () -> LazyLmServer.launch(new String[] {"-prot", "29002"}));
        assertTrue(prot.getMessage().startsWith("unknown flag -prot; did you mean -port? (the flags are"),
                prot.getMessage());
        IllegalArgumentException address = assertThrows(IllegalArgumentException.class,
                () -> LazyLmServer.launch(new String[] {"-server_adress", "0.0.0.0"}));
        assertTrue(address.getMessage().startsWith("unknown flag -server_adress; did you mean -server_address?"),
                address.getMessage());
        IllegalArgumentException host = assertThrows(IllegalArgumentException.class,
                () -> LazyLmServer.launch(new String[] {"-host", "0.0.0.0"}));
        assertTrue(host.getMessage().contains("use -server_address"), host.getMessage());
        IllegalArgumentException ssl = assertThrows(IllegalArgumentException.class,
                () -> LazyLmServer.launch(new String[] {"-ssl"}));
        assertTrue(ssl.getMessage().contains("plain HTTP"), ssl.getMessage());
        // Pipeline properties pass: a dotted one, and the pipeline-wide names.
        LazyLmServer.checkFlags(props("tokenize.language", "en", "annotators", "tokenize", "outputFormat", "json",
                "timeout", "1000", "threads", "2", "status_port", "9001"));
    }

    @Test
    void textThatIsNotUtf8IsRefusedWithItsByteOffsetAsTheCliRefusesAFile() throws IOException {
        byte[] latin1 = TEXT.replace("dawn", "daw\u00f1").getBytes(StandardCharsets.ISO_8859_1);
        String[] plain = post(latin1, "text/plain", "outputFormat", "json");
        assertEquals("400", plain[0], plain[1]);
        assertEquals("lazylm: the request body: not valid UTF-8 text: byte 0xF1 at byte offset 22 (line 1) is not"
                + " UTF-8; send the text as UTF-8\n", plain[1]);

        ByteArrayOutputStream doc = new ByteArrayOutputStream();
        CoreNLPProtos.Document.newBuilder().setTextBytes(ByteString.copyFrom(latin1)).build()
                .writeDelimitedTo(doc);
        String[] serialized = post(doc.toByteArray(), "application/x-protobuf", "inputFormat", "serialized",
                "outputFormat", "json");
        assertEquals("400", serialized[0], serialized[1]);
        assertTrue(serialized[1].startsWith("lazylm: the serialized document's text: not valid UTF-8 text: byte 0xF1"
                + " at byte offset 22"), serialized[1]);

        String[] latin1Declared = post(latin1, "text/plain;charset=ISO-8859-1", "outputFormat", "json");
        assertEquals("200", latin1Declared[0], "text in a declared charset is decoded with it: " + latin1Declared[1]);
        assertTrue(latin1Declared[1].contains("daw\u00f1"), latin1Declared[1]);
        assertEquals("200", post(TEXT.getBytes(StandardCharsets.UTF_8), "text/plain", "outputFormat", "json")[0]);
    }

    /**
     * CoreNLP's Java client with its defaults (protobuf both ways): the stock serializer reads the sentences
     * and tokens and skips the extensions; registered, LazyLmProtobufSerializer reads the lazylm values too,
     * equal to what the annotator gives in process.
     */
    @Test
    void coreNlpsClientGetsTheSentencesTokensAndLazylmValues() throws Exception {
        Properties request = new Properties();
        request.setProperty("annotators", "tokenize,ssplit,lazylm");
        request.setProperty("lazylm.topK", "3");
        StanfordCoreNLP pipeline = AnnotatorFixture.pipeline("maxTopK", "5", "attentionStats", "true", "topK", "3");
        Annotation expected = new Annotation(TEXT);
        pipeline.annotate(expected);
        assertThrows(ProtobufAnnotationSerializer.LossySerializationException.class,
                () -> new ProtobufAnnotationSerializer().toProto(expected),
                "the stock serializer refuses the lazylm keys");

        StanfordCoreNLPClient stock = new StanfordCoreNLPClient(request, "http://127.0.0.1", server.port());
        Annotation plain = new Annotation(TEXT);
        try {
            stock.annotate(plain);
        } finally {
            stock.shutdown();
        }
        assertNull(plain.get(CoreAnnotations.ExceptionAnnotation.class));
        assertSameTokens(expected, plain);
        assertNull(plain.get(CoreAnnotations.TokensAnnotation.class).get(0)
                .get(LazyLmAnnotations.TokenLogProbability.class), "the stock serializer skips the extensions");

        StanfordCoreNLPClient client = LazyLmProtobufSerializer.readLazyLmValues(
                new StanfordCoreNLPClient(request, "http://127.0.0.1", server.port()));
        Annotation served = new Annotation(TEXT);
        try {
            client.annotate(served);
        } finally {
            client.shutdown();
        }
        assertNull(served.get(CoreAnnotations.ExceptionAnnotation.class));
        assertSameTokens(expected, served);
        List<CoreLabel> want = expected.get(CoreAnnotations.TokensAnnotation.class);
        List<CoreLabel> got = served.get(CoreAnnotations.TokensAnnotation.class);
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.get(i).get(LazyLmAnnotations.TokenLogProbability.class),
                    got.get(i).get(LazyLmAnnotations.TokenLogProbability.class), 1e-9, want.get(i).word());
            assertEquals(want.get(i).get(LazyLmAnnotations.TokenSurprisal.class),
                    got.get(i).get(LazyLmAnnotations.TokenSurprisal.class), 1e-9, want.get(i).word());
        }
        List<CoreMap> wantSentences = expected.get(CoreAnnotations.SentencesAnnotation.class);
        List<CoreMap> gotSentences = served.get(CoreAnnotations.SentencesAnnotation.class);
        for (int s = 0; s < wantSentences.size(); s++) {
            CoreMap w = wantSentences.get(s);
            CoreMap g = gotSentences.get(s);
            assertEquals(w.get(LazyLmAnnotations.SentenceLogProbability.class),
                    g.get(LazyLmAnnotations.SentenceLogProbability.class), 1e-9);
            assertEquals(w.get(LazyLmAnnotations.SentencePerplexity.class),
                    g.get(LazyLmAnnotations.SentencePerplexity.class), 1e-9);
            assertEquals(w.get(LazyLmAnnotations.SentenceBitsPerByte.class),
                    g.get(LazyLmAnnotations.SentenceBitsPerByte.class), 1e-9);
            assertEquals(w.get(LazyLmAnnotations.SentencePieceCount.class),
                    g.get(LazyLmAnnotations.SentencePieceCount.class));
            assertEquals(w.get(LazyLmAnnotations.SentenceSparsity.class),
                    g.get(LazyLmAnnotations.SentenceSparsity.class), 1e-9);
            assertEquals(w.get(LazyLmAnnotations.SentenceSinkMass.class),
                    g.get(LazyLmAnnotations.SentenceSinkMass.class), 1e-9);
            List<TokenPrediction> wantNext = w.get(LazyLmAnnotations.SentenceNextTokens.class);
            List<TokenPrediction> gotNext = g.get(LazyLmAnnotations.SentenceNextTokens.class);
            assertEquals(3, wantNext.size());
            assertEquals(wantNext.size(), gotNext.size());
            for (int k = 0; k < wantNext.size(); k++) {
                assertEquals(wantNext.get(k).id(), gotNext.get(k).id());
                assertEquals(wantNext.get(k).text(), gotNext.get(k).text());
                assertEquals(wantNext.get(k).probability(), gotNext.get(k).probability(), 1e-9);
            }
        }
        assertEquals(expected.get(LazyLmAnnotations.DocumentLogProbability.class),
                served.get(LazyLmAnnotations.DocumentLogProbability.class), 1e-9);
        assertEquals(expected.get(LazyLmAnnotations.DocumentPieceCount.class),
                served.get(LazyLmAnnotations.DocumentPieceCount.class));
        assertEquals(expected.get(LazyLmAnnotations.DocumentBitsPerByte.class),
                served.get(LazyLmAnnotations.DocumentBitsPerByte.class), 1e-9);
        assertEquals(expected.get(LazyLmAnnotations.DocumentSparsity.class),
                served.get(LazyLmAnnotations.DocumentSparsity.class), 1e-9);
        assertEquals(expected.get(LazyLmAnnotations.DocumentSinkMass.class),
                served.get(LazyLmAnnotations.DocumentSinkMass.class), 1e-9);
    }

    /** A reader that knows only the published field numbers finds the values where the class comment says. */
    @Test
    void theValuesTravelAtThePublishedFieldNumbers() throws IOException {
        Annotation doc = new Annotation(TEXT);
        AnnotatorFixture.pipeline().annotate(doc);
        CoreNLPProtos.Document proto = new LazyLmProtobufSerializer().toProto(doc);
        CoreNLPProtos.Document unknown = CoreNLPProtos.Document.parseFrom(proto.toByteArray());
        double firstToken = doc.get(CoreAnnotations.TokensAnnotation.class).get(0)
                .get(LazyLmAnnotations.TokenLogProbability.class);
        assertEquals(List.of(Double.doubleToLongBits(firstToken)), unknown.getSentence(0).getToken(0)
                .getUnknownFields().getField(200).getFixed64List());
        assertEquals(List.of((long) (int) doc.get(CoreAnnotations.SentencesAnnotation.class).get(0)
                .get(LazyLmAnnotations.SentencePieceCount.class)),
                unknown.getSentence(0).getUnknownFields().getField(203).getVarintList());
        assertEquals(List.of(Double.doubleToLongBits(doc.get(LazyLmAnnotations.DocumentLogProbability.class))),
                unknown.getUnknownFields().getField(200).getFixed64List());
        assertEquals(TEXT, unknown.getText());
        assertEquals(2, unknown.getSentenceCount(), "CoreNLP's own fields are all there");
    }

    /** CoreNLP's command line writes the values with the serializer named as its outputSerializer. */
    @Test
    void coreNlpsCommandLineWritesTheValuesWithTheSerializer(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, TEXT);
        List<String> args = new ArrayList<>();
        AnnotatorFixture.props().forEach((k, v) -> Collections.addAll(args, "-" + k, (String) v));
        Collections.addAll(args, "-outputFormat", "serialized", "-outputSerializer",
                LazyLmProtobufSerializer.class.getName(), "-file", input.toString(), "-outputDirectory", dir.toString());
        StanfordCoreNLP.main(args.toArray(new String[0]));
        Annotation read;
        try (InputStream in = Files.newInputStream(dir.resolve("in.txt.ser.gz"))) {
            read = new LazyLmProtobufSerializer().read(in).first;
        }
        Annotation expected = new Annotation(TEXT);
        AnnotatorFixture.pipeline().annotate(expected);
        assertSameTokens(expected, read);
        assertEquals(expected.get(LazyLmAnnotations.DocumentLogProbability.class),
                read.get(LazyLmAnnotations.DocumentLogProbability.class), 1e-9);
        assertEquals(expected.get(CoreAnnotations.TokensAnnotation.class).get(4)
                .get(LazyLmAnnotations.TokenSurprisal.class), read.get(CoreAnnotations.TokensAnnotation.class).get(4)
                .get(LazyLmAnnotations.TokenSurprisal.class), 1e-9);
    }

    /** This module's README's table of extensions names every field of the descriptor, with its message and number. */
    @Test
    void theReadmeTableListsEveryExtensionWithItsNumber() throws IOException {
        Path readme = Path.of("README.md");
        Pattern row = Pattern.compile("^\\| `(Token|Sentence|Document)` \\| (.*) \\|$");
        Pattern field = Pattern.compile("`(\\w+)` = (\\d+)");
        int listed = 0;
        for (String line : Files.readAllLines(readme)) {
            Matcher m = row.matcher(line);
            if (!m.matches()) {
                continue;
            }
            Matcher f = field.matcher(m.group(2));
            while (f.find()) {
                Descriptors.FieldDescriptor d = LazyLmProtobufSerializer.FILE.findExtensionByName(f.group(1));
                assertNotNull(d, f.group(1) + " is in the README but not in the descriptor");
                assertEquals(Integer.parseInt(f.group(2)), d.getNumber(), f.group(1));
                assertEquals(m.group(1), d.getContainingType().getName(), f.group(1));
                listed++;
            }
        }
        assertEquals(LazyLmProtobufSerializer.FILE.getExtensions().size(), listed, "every extension is listed once");
    }

    /** The .proto in the jar, for clients in other languages, declares exactly the descriptor's fields. */
    @Test
    void theProtoFileInTheJarDeclaresTheDescriptorsFields() throws IOException {
        String proto;
        try (InputStream in = LazyLmProtobufSerializer.class.getResourceAsStream("lazylm.proto")) {
            assertNotNull(in, "lazylm.proto is in the jar");
            proto = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(proto.contains("package dev.lazyattention.corenlp;") && proto.contains("import \"CoreNLP.proto\";"));
        Pattern block = Pattern.compile("(extend edu\\.stanford\\.nlp\\.pipeline\\.|message )(\\w+) \\{([^}]*)}");
        Pattern line = Pattern.compile("(optional|repeated) (\\w+) (\\w+) = (\\d+);");
        int declared = 0;
        for (Matcher b = block.matcher(proto); b.find(); ) {
            boolean extension = b.group(1).startsWith("extend");
            for (Matcher f = line.matcher(b.group(3)); f.find(); declared++) {
                Descriptors.FieldDescriptor d = extension
                        ? LazyLmProtobufSerializer.FILE.findExtensionByName(f.group(3))
                        : LazyLmProtobufSerializer.FILE.findMessageTypeByName(b.group(2)).findFieldByName(f.group(3));
                assertNotNull(d, f.group());
                assertEquals(b.group(2), d.getContainingType().getName(), f.group());
                assertEquals(Integer.parseInt(f.group(4)), d.getNumber(), f.group());
                assertEquals(f.group(1).equals("repeated"), d.isRepeated(), f.group());
                assertEquals(f.group(2), d.getType() == Descriptors.FieldDescriptor.Type.MESSAGE
                        ? d.getMessageType().getName() : d.getType().name().toLowerCase(java.util.Locale.ROOT), f.group());
            }
        }
        assertEquals(LazyLmProtobufSerializer.FILE.getExtensions().size()
                + LazyLmProtobufSerializer.NEXT_TOKEN.getFields().size(), declared, "no field missing or extra");
    }

    private static void assertSameTokens(Annotation expected, Annotation got) {
        List<CoreMap> want = expected.get(CoreAnnotations.SentencesAnnotation.class);
        List<CoreMap> have = got.get(CoreAnnotations.SentencesAnnotation.class);
        assertNotNull(have, "the client got sentences");
        assertEquals(2, want.size());
        assertEquals(want.size(), have.size());
        for (int s = 0; s < want.size(); s++) {
            List<CoreLabel> w = want.get(s).get(CoreAnnotations.TokensAnnotation.class);
            List<CoreLabel> h = have.get(s).get(CoreAnnotations.TokensAnnotation.class);
            assertEquals(w.stream().map(CoreLabel::word).toList(), h.stream().map(CoreLabel::word).toList());
            assertEquals(w.stream().map(CoreLabel::beginPosition).toList(),
                    h.stream().map(CoreLabel::beginPosition).toList());
        }
    }

    private static Properties props(String... pairs) {
        Properties p = new Properties();
        for (int i = 0; i < pairs.length; i += 2) {
            p.setProperty(pairs[i], pairs[i + 1]);
        }
        return p;
    }

    /** Status and body of a POST of {@code body} with request properties. */
    private static String[] post(byte[] body, String contentType, String... properties) throws IOException {
        JsonObject props = new JsonObject();
        for (int i = 0; i < properties.length; i += 2) {
            props.addProperty(properties[i], properties[i + 1]);
        }
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/?properties="
                + URLEncoder.encode(props.toString(), StandardCharsets.UTF_8));
        HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
        connection.setRequestMethod("POST");
        connection.setRequestProperty("Content-type", contentType);
        connection.setDoOutput(true);
        connection.getOutputStream().write(body);
        int status = connection.getResponseCode();
        InputStream in = status < 400 ? connection.getInputStream() : connection.getErrorStream();
        return new String[] {Integer.toString(status), in == null ? "" : new String(in.readAllBytes(),
                StandardCharsets.UTF_8)};
    }

    /** An IPv4 address of this machine other than loopback, or null when it has none. */
    private static InetAddress nonLoopbackAddress() throws IOException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                    return a;
                }
            }
        }
        return null;
    }
}

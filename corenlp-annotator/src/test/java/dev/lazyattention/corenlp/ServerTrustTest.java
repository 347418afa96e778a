package dev.lazyattention.corenlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a client of {@link LazyLmServer} can and cannot change, against a real CoreNLP server. */
class ServerTrustTest {

    static final String TEXT = "The quick fox sees the dog. The old farmer helps the child.";

    static LazyLmServer server;
    static int port;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws IOException {
        port = freePort();
        Properties props = AnnotatorFixture.props();
        props.setProperty("outputFormat", "custom");
        props.setProperty("customOutputter", LazyLmJsonOutputter.class.getName());
        props.setProperty("lazylm.maxTopK", "5");
        server = new LazyLmServer(props, port, 60_000);
        server.run();
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Status and body of a POST of {@code text} with request properties. */
    static String[] post(int port, String text, String... properties) throws IOException {
        JsonObject props = new JsonObject();
        for (int i = 0; i < properties.length; i += 2) {
            props.addProperty(properties[i], properties[i + 1]);
        }
        URI uri = URI.create("http://127.0.0.1:" + port + "/?properties="
                + URLEncoder.encode(props.toString(), StandardCharsets.UTF_8));
        HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
        connection.setRequestMethod("POST");
        connection.setDoOutput(true);
        connection.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        int status = connection.getResponseCode();
        InputStream body = status < 400 ? connection.getInputStream() : connection.getErrorStream();
        return new String[] {Integer.toString(status), body == null ? "" : new String(body.readAllBytes(),
                StandardCharsets.UTF_8)};
    }

    static FileTime accessTime(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class).lastAccessTime();
    }

    @Test
    void aRequestMayAskForNextTokensWithinTheServersBound() throws IOException {
        String[] answer = post(port, TEXT, "lazylm.topK", "3");
        assertEquals("200", answer[0], answer[1]);
        JsonObject first = JsonParser.parseString(answer[1]).getAsJsonObject().getAsJsonArray("sentences")
                .get(0).getAsJsonObject().getAsJsonObject("lazylm");
        assertEquals(3, first.getAsJsonArray("nextTokens").size(), first.toString());

        String[] tooMany = post(port, TEXT, "lazylm.topK", "6");
        assertEquals("400", tooMany[0]);
        assertTrue(tooMany[1].contains("lazylm.topK=6") && tooMany[1].contains("maxTopK"), tooMany[1]);
    }

    @Test
    void aRequestedModelPathIsRefusedAndNeverOpened() throws IOException {
        Path other = dir.resolve("other.lazylm.zip");
        Files.copy(AnnotatorFixture.modelFile(), other);
        FileTime epoch = FileTime.fromMillis(0);
        Files.getFileAttributeView(other, BasicFileAttributeView.class).setTimes(null, epoch, null);

        String[] answer = post(port, TEXT, "lazylm.model", other.toString());

        assertEquals("400", answer[0], answer[1]);
        assertTrue(answer[1].contains("lazylm.model is fixed by the server"), answer[1]);
        assertFalse(ModelCache.holds(other), "no model was loaded from the requested path");
        assertEquals(epoch, accessTime(other), "the requested file was not read");
        // The check above can fail: reading the file does move its access time on this file system.
        Files.readAllBytes(other);
        assertNotEquals(epoch, accessTime(other), "this file system records reads");
    }

    @Test
    void threadsAnnotatorClassesAndUnknownKeysCannotBeRequested() throws IOException {
        int threadsBefore = Thread.activeCount();
        String[] threads = post(port, TEXT, "lazylm.nthreads", "100000");
        assertEquals("400", threads[0]);
        assertTrue(threads[1].contains("lazylm.nthreads is fixed by the server"), threads[1]);
        assertTrue(Thread.activeCount() < threadsBefore + 8, "no threads were started for it");

        String[] foreign = post(port, TEXT, "customAnnotatorClass.other", LazyLmAnnotator.class.getName(),
                "other.model", "/etc/passwd", "annotators", "tokenize,ssplit,other");
        assertEquals("400", foreign[0]);
        assertTrue(foreign[1].contains("customAnnotatorClass.other"), foreign[1]);

        String[] typo = post(port, TEXT, "lazylm.topk", "3");
        assertEquals("400", typo[0]);
        assertTrue(typo[1].contains("lazylm.topk is not a property"), typo[1]);
        assertTrue(typo[1].contains("did you mean lazylm.topK?"), typo[1]);
        String[] misspelt = post(port, TEXT, "lazylm.modle", "/any/file");
        assertEquals("400", misspelt[0]);
        assertTrue(misspelt[1].startsWith("lazylm: lazylm.modle is not a property of the lazylm annotator; did you"
                + " mean lazylm.model?"), misspelt[1]);

        assertEquals("200", post(port, TEXT)[0], "the server still serves");
    }

    @Test
    void theServersTimeoutStopsTheAnnotation() throws Exception {
        int slowPort = freePort();
        Properties props = AnnotatorFixture.props("batchSize", "1");
        LazyLmServer slow = new LazyLmServer(props, slowPort, 1500);
        slow.run();
        // 5 ms before each one-sentence batch: 1,500 sentences take at least 7.5 s, whatever the machine.
        LazyLmAnnotator.beforeBatch = () -> java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
        try {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 1500; i++) {
                text.append("The old farmer helps the child near the river number ").append(i).append(". ");
            }
            java.util.concurrent.atomic.AtomicInteger mostRunning = new java.util.concurrent.atomic.AtomicInteger();
            Thread watcher = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    mostRunning.accumulateAndGet(LazyLmAnnotator.RUNNING.get(), Math::max);
                    Thread.onSpinWait();
                }
            });
            watcher.start();
            long start = System.nanoTime();
            String[] answer = post(slowPort, text.toString(), "timeout", "600000");
            double answeredAfter = (System.nanoTime() - start) / 1e9;
            watcher.interrupt();
            watcher.join();
            assertEquals("500", answer[0], answer[1]);
            assertTrue(answer[1].contains("timed out"), answer[1]);
            assertEquals(1, mostRunning.get(), "the annotator was scoring when the timeout fired");
            assertTrue(answeredAfter < 30, "a request cannot lengthen the server's timeout: " + answeredAfter + " s");
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (LazyLmAnnotator.RUNNING.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, LazyLmAnnotator.RUNNING.get(), "the annotation stopped within 2 s of the timeout");
        } finally {
            LazyLmAnnotator.beforeBatch = null;
            slow.stop();
        }
    }
}

package dev.lazyattention.corenlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Profile {@code soak} ({@code mvn -Psoak verify -pl corenlp-annotator -am}): the real CoreNLP server with
 * the annotator answers 10,000 requests from 4 client threads on loopback. Every answer must be a 200 with
 * the lazylm fields, and the memory beyond the Java heap at the end must be within 10% of its median
 * over the samples taken after the first 2,000 requests. Prints requests per second and the memory samples.
 */
@Tag("soak")
class ServerSoakTest {

    private static final int REQUESTS = Integer.getInteger("soak.requests", 10_000);
    private static final int CLIENTS = 4;
    private static final int WARM_UP = REQUESTS / 5;
    private static final String[] TEXTS = {
        "The quick fox sees the dog. The old farmer helps the child.",
        "A house by the river. It rained all day, and nobody came.",
        "Numbers like 3.14 and 2,718 appear too! Do they score?",
        "Short.",
    };

    @Test
    void tenThousandRequestsFromFourClientsWithFlatMemory() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        OutputAndServerTest.TestServer server = new OutputAndServerTest.TestServer(port);
        server.run();
        try {
            Properties p = AnnotatorFixture.props("attentionStats", "true");
            p.setProperty("outputFormat", "custom");
            p.setProperty("customOutputter", LazyLmJsonOutputter.class.getName());
            JsonObject json = new JsonObject();
            p.forEach((k, v) -> json.addProperty((String) k, (String) v));
            URI uri = URI.create("http://127.0.0.1:" + port + "/?properties="
                    + URLEncoder.encode(json.toString(), StandardCharsets.UTF_8));

            AtomicInteger next = new AtomicInteger();
            AtomicInteger errors = new AtomicInteger();
            List<long[]> samples = new ArrayList<>(); // {requests done, native bytes}
            long start = 0;
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            try {
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    running.add(clients.submit(() -> {
                        for (int i = next.getAndIncrement(); i < REQUESTS; i = next.getAndIncrement()) {
                            if (!post(uri, TEXTS[i % TEXTS.length])) {
                                errors.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                start = System.nanoTime();
                int lastSample = -1;
                while (running.stream().anyMatch(f -> !f.isDone())) {
                    Thread.sleep(200);
                    int done = Math.min(next.get(), REQUESTS);
                    if (done >= WARM_UP && done / 1000 != lastSample) {
                        lastSample = done / 1000;
                        samples.add(new long[] {done, nativeBytes()});
                    }
                }
                for (Future<?> f : running) {
                    f.get();
                }
            } finally {
                clients.shutdownNow();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            samples.add(new long[] {REQUESTS, nativeBytes()});

            StringBuilder report = new StringBuilder();
            report.append(String.format("soak: %d requests from %d clients in %.1f s: %.1f requests/s, %d errors%n",
                    REQUESTS, CLIENTS, seconds, REQUESTS / seconds, errors.get()));
            for (long[] s : samples) {
                report.append(String.format("soak: after %5d requests, memory beyond the heap %.1f MB%n",
                        s[0], s[1] / 1e6));
            }
            System.out.print(report);
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target", "soak-report.txt"), report);

            assertEquals(0, errors.get(), "requests that failed");
            // Against the median after warm-up: one sample can catch the heap mid-resize, which moves what
            // "beyond the heap" means by a few hundred MB for a moment.
            long[] sorted = samples.stream().mapToLong(sample -> sample[1]).sorted().toArray();
            long median = sorted[sorted.length / 2];
            long last = samples.get(samples.size() - 1)[1];
            assertTrue(last <= median * 1.10, "memory grew from a median of " + median + " to " + last + " bytes");
        } finally {
            server.stop();
        }
    }

    /** One request; true when the server answered 200 with scores for the document. */
    private static boolean post(URI uri, String text) {
        try {
            HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
            connection.setRequestMethod("POST");
            connection.setDoOutput(true);
            connection.setConnectTimeout(30_000);
            connection.setReadTimeout(60_000);
            connection.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            if (connection.getResponseCode() != 200) {
                return false;
            }
            String body = new String(connection.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            JsonObject lazylm = JsonParser.parseString(body).getAsJsonObject().getAsJsonObject("lazylm");
            return lazylm != null && Double.isFinite(lazylm.get("logProb").getAsDouble());
        } catch (Exception e) {
            return false;
        }
    }

    /** Resident memory minus the committed Java heap, after a collection: what libtorch and CoreNLP hold natively. */
    private static long nativeBytes() throws Exception {
        System.gc();
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
            }
        }
        return rss - Runtime.getRuntime().totalMemory();
    }
}

package dev.lazyattention.cli;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.TinyModels;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Models and a server for the tests of {@code lazyattn serve}: a tiny lazy model trained for a few seconds and
 * an untrained softmax one to compare with, made once per test JVM.
 */
final class ServeFixture {

    private static Path lazyModel;
    private static Path softmaxModel;

    private ServeFixture() {}

    /** The trained lazy model file, then the softmax one. */
    static synchronized List<Path> modelFiles() {
        if (lazyModel == null) {
            try {
                Path dir = Files.createTempDirectory("lazyattn-serve-test-");
                dir.toFile().deleteOnExit();
                lazyModel = TinyModels.trainedModelFile(dir.resolve("lazy"), AttentionVariant.LAZY, 40);
                softmaxModel = dir.resolve("softmax.lazylm.zip");
                try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.SOFTMAX, 5)) {
                    lm.save(softmaxModel);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return List.of(lazyModel, softmaxModel);
    }

    /** A running server over loaded models; closing it closes them. */
    record Served(AttentionServer server, List<LazyLanguageModel> models) implements AutoCloseable {

        String url(String path) {
            return "http://127.0.0.1:" + server.port() + path;
        }

        @Override
        public void close() {
            server.close();
            models.forEach(LazyLanguageModel::close);
        }
    }

    /** Serves the lazy model (and the softmax one with {@code compare}) on a free port of 127.0.0.1. */
    static Served serve(boolean compare, int maxConcurrent) throws IOException {
        List<Path> files = modelFiles();
        LazyLanguageModel lazy = LazyLanguageModel.load(files.get(0), Device.cpu());
        if (!compare) {
            return new Served(new AttentionServer(List.of(new AttentionAnalyzer("lazy", lazy)), "127.0.0.1", 0,
                    maxConcurrent), List.of(lazy));
        }
        LazyLanguageModel softmax = LazyLanguageModel.load(files.get(1), Device.cpu());
        return new Served(new AttentionServer(List.of(new AttentionAnalyzer("lazy", lazy),
                new AttentionAnalyzer("softmax", softmax)), "127.0.0.1", 0, maxConcurrent), List.of(lazy, softmax));
    }

    /** Status and body of one request. */
    record Answer(int status, String body) {}

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    static Answer post(String url, String json) {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    /** A POST of raw bytes, as a client that sends text in another encoding would. */
    static Answer post(String url, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    static Answer get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET().build());
    }

    private static Answer send(HttpRequest request) {
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A request line sent byte for byte, as a client that does not normalise paths would send it. */
    static Answer raw(int port, String method, String target) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.split(" ", 3)[1]);
            int body = response.indexOf("\r\n\r\n");
            return new Answer(status, body < 0 ? "" : response.substring(body + 4));
        }
    }
}

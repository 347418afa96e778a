package dev.lazyattention.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.names.ClosestName;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The web page of {@code lazyattn serve} and its JSON endpoint, on the JDK's HTTP server.
 *
 * <ul>
 *   <li>{@code GET /} and the page's few static files, from a fixed list inside the jar (no other path is
 *       served; nothing is read from the file system);
 *   <li>{@code GET /api/info}: the models (configuration, tau per layer and head) and the limits;
 *   <li>{@code POST /api/analyze} with {@code {"text", "layer", "head", "allHeads"}}: per model, the tokens with
 *       their offsets, log-probabilities and the model's most likely tokens at each place, every head's
 *       sparsity, sink mass and tau, the text's representational collapse per layer (mean pairwise cosine and
 *       effective rank, as {@code eval} measures them), and the attention weights of the chosen layer and head.
 * </ul>
 *
 * Bad requests get 400 with {@code {"error": message}}, among them a body that is not UTF-8 (named by its byte
 * offset, as the CLI names a file's), one that is not JSON, and a key other than {@link #KEYS} (named with the
 * closest one); past {@link #maxConcurrent} analyses at once, 503.
 */
final class AttentionServer implements AutoCloseable {

    /** Longest text accepted, in characters (UTF-16 units); the model's context bounds its tokens too. */
    static final int MAX_CHARS = 2000;
    /** Largest request body read. */
    static final int MAX_BODY_BYTES = 64 * 1024;

    /** The only files served, by request path: resource name and content type. */
    static final Map<String, String[]> STATIC_FILES = Map.of(
            "/", new String[] {"index.html", "text/html; charset=utf-8"},
            "/index.html", new String[] {"index.html", "text/html; charset=utf-8"},
            "/serve.css", new String[] {"serve.css", "text/css; charset=utf-8"},
            "/serve.js", new String[] {"serve.js", "text/javascript; charset=utf-8"});

    /** The keys of an analysis request; any other key is refused with the closest of these. */
    static final List<String> KEYS = List.of("text", "layer", "head", "allHeads");

    private static final String EXAMPLE = "{\"text\": \"...\", \"layer\": 0, \"head\": 0}";

    /** Where Gson's parse error says the JSON broke. */
    private static final Pattern GSON_POSITION = Pattern.compile("line \\d+ column \\d+");

    /** Keeps nulls (a variant without tau says so) and writes no NaN (the page's JSON.parse would refuse it). */
    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    private final List<AttentionAnalyzer> models;
    private final int maxConcurrent;
    private final Semaphore permits;
    private final HttpServer server;
    private final ExecutorService executor;

    /**
     * Binds to {@code host:port} (port 0: any free port) and starts serving.
     *
     * @param models the model, then the compared model if any
     */
    AttentionServer(List<AttentionAnalyzer> models, String host, int port, int maxConcurrent) throws IOException {
        if (models.isEmpty() || models.size() > 2) {
            throw new IllegalArgumentException("serve takes one model and at most one to compare with");
        }
        this.models = List.copyOf(models);
        this.maxConcurrent = maxConcurrent;
        this.permits = new Semaphore(maxConcurrent);
        server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext("/", this::handle);
        // More threads than analyses, so that the page and 503 answers still come while analyses run.
        executor = Executors.newFixedThreadPool(maxConcurrent + 4, r -> {
            Thread t = new Thread(r, "lazyattn-serve");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    String host() {
        return server.getAddress().getHostString();
    }

    /** The analyses' permits, for tests that hold one. */
    Semaphore permitsForTests() {
        return permits;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            String method = exchange.getRequestMethod();
            if (path.startsWith("/api/")) {
                if (path.equals("/api/info") && method.equals("GET")) {
                    sendJson(exchange, 200, info());
                } else if (path.equals("/api/analyze") && method.equals("POST")) {
                    analyze(exchange);
                } else if (path.equals("/api/info") || path.equals("/api/analyze")) {
                    exchange.getResponseHeaders().set("Allow", path.equals("/api/info") ? "GET" : "POST");
                    sendError(exchange, 405, method + " is not allowed on " + path);
                } else {
                    sendError(exchange, 404, "no endpoint " + path + " (there are GET /api/info and POST /api/analyze)");
                }
                return;
            }
            // The raw path is compared with a fixed list: "/../x", "/%2e%2e/x" or "//etc/passwd" match nothing.
            String[] file = STATIC_FILES.get(path);
            if (file == null || !(method.equals("GET") || method.equals("HEAD"))) {
                sendError(exchange, file == null ? 404 : 405, file == null ? "not found" : method + " is not allowed");
                return;
            }
            byte[] body;
            try (InputStream in = AttentionServer.class.getResourceAsStream("serve/" + file[0])) {
                if (in == null) {
                    sendError(exchange, 500, "the page's file " + file[0] + " is missing from the jar");
                    return;
                }
                body = in.readAllBytes();
            }
            exchange.getResponseHeaders().set("Content-Type", file[1]);
            exchange.getResponseHeaders().set("Cache-Control", "no-cache");
            exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            exchange.getResponseHeaders().set("Content-Security-Policy",
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'");
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        } catch (IOException | RuntimeException e) {
            // The client went away or the answer failed half-way: nothing more can be sent on this exchange.
            if (!(e instanceof IOException)) {
                System.err.println("lazyattn serve: " + Errors.describe(e));
            }
        }
    }

    private Map<String, Object> info() {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Map<String, Object>> list = new ArrayList<>();
        for (AttentionAnalyzer a : models) {
            list.add(a.describe());
        }
        m.put("models", list);
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("maxChars", MAX_CHARS);
        limits.put("maxTokens", models.stream().mapToInt(AttentionAnalyzer::maxTokens).min().getAsInt());
        limits.put("maxConcurrent", maxConcurrent);
        m.put("limits", limits);
        return m;
    }

    private void analyze(HttpExchange exchange) throws IOException {
        JsonObject request;
        try {
            request = parse(exchange);
        } catch (BadRequest e) {
            sendError(exchange, e.status, e.getMessage());
            return;
        }
        String text;
        int layer;
        int head;
        boolean allHeads;
        try {
            text = string(request, "text");
            layer = integer(request, "layer", 0);
            head = integer(request, "head", 0);
            allHeads = bool(request, "allHeads");
        } catch (BadRequest e) {
            sendError(exchange, 400, e.getMessage());
            return;
        }
        AttentionAnalyzer first = models.get(0);
        String problem = text.isEmpty() ? "text is empty"
                : text.length() > MAX_CHARS ? "text has " + text.length() + " characters; at most " + MAX_CHARS
                : layer < 0 || layer >= first.layers() ? "layer must be in [0, " + (first.layers() - 1) + "], got " + layer
                : head < 0 || head >= first.heads() ? "head must be in [0, " + (first.heads() - 1) + "], got " + head
                : null;
        if (problem != null) {
            sendError(exchange, 400, problem);
            return;
        }
        for (AttentionAnalyzer a : models) {
            if (a.encode(text).size() > a.maxTokens()) {
                sendError(exchange, 400, "text is " + a.encode(text).size() + " tokens; the model's context takes at most "
                        + a.maxTokens() + " after the start token (" + a.model().config().contextLength()
                        + " in all): shorten the text");
                return;
            }
        }
        if (!permits.tryAcquire()) {
            exchange.getResponseHeaders().set("Retry-After", "1");
            sendError(exchange, 503, "busy: " + maxConcurrent + " analyses are running; try again in a moment");
            return;
        }
        try {
            List<Map<String, Object>> results = new ArrayList<>();
            long started = System.nanoTime();
            for (AttentionAnalyzer a : models) {
                results.add(a.analyze(text, layer, head, allHeads));
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("text", text);
            m.put("layer", layer);
            m.put("head", head);
            m.put("models", results);
            m.put("millis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            sendJson(exchange, 200, m);
        } catch (IllegalArgumentException e) {
            sendError(exchange, 400, e.getMessage());
        } catch (RuntimeException e) {
            sendError(exchange, 500, "analysis failed: " + Errors.describe(e));
        } finally {
            permits.release();
        }
    }

    /** A request the server refuses, with its status. */
    private static final class BadRequest extends Exception {
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private static JsonObject parse(HttpExchange exchange) throws IOException, BadRequest {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (type != null && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new BadRequest(415, "send the request as application/json, not " + type);
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (InputStream in = exchange.getRequestBody()) {
            byte[] chunk = new byte[8192];
            for (int r; (r = in.read(chunk)) >= 0; ) {
                buffer.write(chunk, 0, r);
                if (buffer.size() > MAX_BODY_BYTES) {
                    throw new BadRequest(413, "request body over " + MAX_BODY_BYTES + " bytes");
                }
            }
        }
        String body;
        try {
            // The CLI's strict decoding: bytes that are not UTF-8 are refused with their offset, not replaced.
            body = TextCorpus.readText(new ByteArrayInputStream(buffer.toByteArray()), "the request body", MAX_BODY_BYTES);
        } catch (IOException e) {
            throw new BadRequest(400, e.getMessage().replace("; save the text as UTF-8", "; send the body as UTF-8"));
        }
        JsonElement e;
        try {
            e = JsonParser.parseString(body);
        } catch (JsonParseException bad) {
            // Gson's message ends with advice about its own API; the client needs where the JSON broke.
            Matcher at = GSON_POSITION.matcher(String.valueOf(bad.getMessage()));
            throw new BadRequest(400, "the body is not JSON" + (at.find() ? " (" + at.group() + ")" : "")
                    + ": send a JSON object such as " + EXAMPLE);
        }
        if (!e.isJsonObject()) {
            throw new BadRequest(400, "the body must be a JSON object such as " + EXAMPLE);
        }
        for (String key : e.getAsJsonObject().keySet()) {
            if (!KEYS.contains(key)) {
                throw new BadRequest(400, "unknown key \"" + key + "\"; did you mean \"" + ClosestName.closest(key, KEYS)
                        + "\"? (the keys are " + String.join(", ", KEYS) + ")");
            }
        }
        return e.getAsJsonObject();
    }

    private static String string(JsonObject o, String name) throws BadRequest {
        JsonElement e = o.get(name);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new BadRequest(400, name + " must be a string");
        }
        return e.getAsString();
    }

    private static boolean bool(JsonObject o, String name) throws BadRequest {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return false;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()) {
            return e.getAsBoolean();
        }
        throw new BadRequest(400, name + " must be true or false");
    }

    private static int integer(JsonObject o, String name, int fallback) throws BadRequest {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        try {
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
                double d = e.getAsDouble();
                if (d == Math.rint(d) && Math.abs(d) < Integer.MAX_VALUE) {
                    return (int) d;
                }
            }
        } catch (NumberFormatException ignored) {
            // falls through to the message
        }
        throw new BadRequest(400, name + " must be a whole number");
    }

    private static void sendError(HttpExchange exchange, int status, String message) throws IOException {
        sendJson(exchange, status, Map.of("error", message, "status", status));
    }

    private static void sendJson(HttpExchange exchange, int status, Object value) throws IOException {
        byte[] body = GSON.toJson(value).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}

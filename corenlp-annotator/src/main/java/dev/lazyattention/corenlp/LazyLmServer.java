package dev.lazyattention.corenlp;

import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.names.ClosestName;
import edu.stanford.nlp.pipeline.CoreNLPProtos;
import edu.stanford.nlp.pipeline.ProtobufAnnotationSerializer;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.pipeline.StanfordCoreNLPServer;
import edu.stanford.nlp.util.ArgumentParser;
import edu.stanford.nlp.util.Pair;
import edu.stanford.nlp.util.StringUtils;
import edu.stanford.nlp.util.logging.Redwood;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * CoreNLP's server for pipelines with the {@code lazylm} annotator, started with the flags of
 * {@link StanfordCoreNLPServer} and one more, {@code -server_address}:
 *
 * <pre>
 * java -cp ... dev.lazyattention.corenlp.LazyLmServer -port 9000 -timeout 15000 -serverProperties lazylm.properties
 * </pre>
 *
 * Once it serves, it prints one line on standard output, {@code LazyLmServer listening on
 * http://127.0.0.1:9000/}. It differs from the stock server in what it exposes and what it trusts:
 *
 * <ul>
 *   <li>it listens on {@code 127.0.0.1} (this machine only) unless {@code -server_address} names another
 *       address ({@code 0.0.0.0} for every IPv4 address); the stock server listens on every address;
 *   <li>it refuses a flag that is neither a server option nor a pipeline property (a property with a dot,
 *       such as {@code tokenize.language}, or one of {@link #PIPELINE_FLAGS}), naming the closest known one,
 *       {@code -ssl} (it serves plain HTTP) and {@code -host} (CoreNLP's name for this computer);
 *   <li>the annotator's settings from the server's properties are fixed; a request that sets another
 *       {@code lazylm.*} value (other than {@code lazylm.topK} up to {@code lazylm.maxTopK}) or names an
 *       annotator class gets HTTP 400 with the reason, and nothing is opened or built for it;
 *   <li>text that is not UTF-8 (a body in the request's charset, UTF-8 by default, or the text of a
 *       serialized document) gets HTTP 400 naming the byte offset, as the {@code lazyattn} command line
 *       refuses a file, where the stock server would put U+FFFD in its place;
 *   <li>protobuf output ({@code outputFormat=serialized}, as {@code StanfordCoreNLPClient} and stanza ask for)
 *       is written by {@link LazyLmProtobufSerializer}, which carries the {@code lazylm} values as extensions,
 *       where the stock serializer refuses them;
 *   <li>a request may shorten the server's {@code -timeout} but not lengthen it; when the timeout fires,
 *       the annotation in progress stops at its next batch;
 *   <li>the model of every {@code lazylm} annotator loads at start, so a bad file fails the start, not a
 *       request.
 * </ul>
 */
public class LazyLmServer extends StanfordCoreNLPServer {

    private static final Redwood.RedwoodChannels LOG = Redwood.channels(LazyLmServer.class);

    /** The flag naming the address to listen on. */
    public static final String ADDRESS_FLAG = "server_address";

    /** The address listened on unless {@code -server_address} names another: this machine only. */
    public static final String DEFAULT_ADDRESS = "127.0.0.1";

    /** Pipeline properties without a dot that a flag may set (every property with a dot is the pipeline's). */
    public static final List<String> PIPELINE_FLAGS = List.of("annotators", "props", "outputFormat", "inputFormat",
            "serializer", "inputSerializer", "outputSerializer", "customOutputter", "encoding");

    /** Why the request being handled on this thread was refused; read when its response is sent. */
    private static final ThreadLocal<String> REFUSAL = new ThreadLocal<>();

    /** The body of the annotation request being handled on this thread and the charset it was sent in. */
    private static final ThreadLocal<Body> BODY = new ThreadLocal<>();

    /** The demo page's files that the stock server serves beside it: path, resource, content type. */
    private static final String[][] DEMO_FILES = {
        {"/corenlp-brat.js", "corenlp-brat.js", "application/javascript"},
        {"/corenlp-brat.cs", "corenlp-brat.css", "text/css"},
        {"/corenlp-parseviewer.js", "corenlp-parseviewer.js", "application/javascript"},
        {"/style-vis.css", "style-vis.css", "text/css"},
        {"/static/fonts/Astloch-Bold.ttf", "Astloch-Bold.ttf", "font/ttfx"},
        {"/static/fonts/Liberation_Sans-Regular.ttf", "LiberationSans-Regular.ttf", "font/ttf"},
        {"/static/fonts/PT_Sans-Caption-Web-Regular.ttf", "PTSansCaption-Regular.ttf", "font/ttf"},
        {"/annotation_log.js", "annotation_log.js", "application/javascript"},
        {"/configuration.js", "configuration.js", "application/javascript"},
        {"/dispatcher.js", "dispatcher.js", "application/javascript"},
        {"/head.load.min.js", "head.load.min.js", "application/javascript"},
        {"/jquery.svg.min.js", "jquery.svg.min.js", "application/javascript"},
        {"/jquery.svgdom.min.js", "jquery.svg.min.js", "application/javascript"},
        {"/url_monitor.js", "url_monitor.js", "application/javascript"},
        {"/util.js", "util.js", "application/javascript"},
        {"/visualizer.js", "visualizer.js", "application/javascript"},
        {"/webfont.js", "webfont.js", "application/javascript"},
        {"/img/corenlp-title.png", "corenlp-title.png", "image/png"},
        {"/img/loading.gif", "loading.gif", "image/gif"},
    };

    private final ServerSettingsGuard guard;

    /** The address to listen on. */
    private InetAddress address;

    /** The threads that answer requests. */
    private ExecutorService executor;

    /** The server of {@code /live} and {@code /ready} when {@code -status_port} differs from the port. */
    private HttpServer statusServer;

    /**
     * A server whose fixed settings are {@code props} (over the file named by {@code -serverProperties},
     * when given); loads the model of every {@code lazylm} annotator they configure. It listens on
     * {@code props}' {@code server_address}, else on {@value #DEFAULT_ADDRESS}.
     */
    public LazyLmServer(Properties props) throws IOException {
        super(props);
        Properties fixed = new Properties();
        if (serverPropertiesPath != null) {
            fixed.putAll(StringUtils.argsToProperties("-props", serverPropertiesPath));
        }
        fixed.putAll(props);
        fixed.remove(ADDRESS_FLAG);
        guard = new ServerSettingsGuard(fixed);
        address = InetAddress.getByName(props.getProperty(ADDRESS_FLAG, DEFAULT_ADDRESS).trim());
        for (LazyLmSettings settings : guard.settings()) {
            // Every request thread may score at once: the default gives each cores / (threads x nthreads).
            settings.applyThreads(ArgumentParser.threads);
            LazyLmAnnotator.loadModel(settings);
        }
    }

    /** A server on {@code port} with a {@code timeoutMillis} limit per request. */
    public LazyLmServer(Properties props, int port, int timeoutMillis) throws IOException {
        this(props);
        serverPort = port;
        statusPort = port;
        timeoutMilliseconds = timeoutMillis;
    }

    /** Starts the server; takes the flags of {@link StanfordCoreNLPServer} and {@code -server_address}. */
    public static void main(String[] args) throws IOException {
        try {
            launch(args);
        } catch (IllegalArgumentException e) {
            System.err.println("LazyLmServer: " + e.getMessage());
            System.exit(2);
        }
    }

    /**
     * Checks the flags, builds the server, starts it and prints where it listens.
     *
     * @throws IllegalArgumentException for a flag that is not known, with the closest known one
     */
    public static LazyLmServer launch(String[] args) throws IOException {
        Properties props = StringUtils.argsToProperties(args);
        checkFlags(props);
        ArgumentParser.fillOptions(StanfordCoreNLPServer.class, args);
        LazyLmServer server = new LazyLmServer(props);
        ArgumentParser.fillOptions(server, args);
        if (!props.containsKey("status_port") && props.containsKey("port")) {
            server.statusPort = server.serverPort;
        }
        server.run();
        return server;
    }

    /**
     * Refuses a flag that is neither an option of the server nor a pipeline property, {@code -ssl}, and
     * {@code -host} (CoreNLP's name of the computer, not an address to listen on).
     */
    static void checkFlags(Properties flags) {
        TreeSet<String> known = new TreeSet<>(PIPELINE_FLAGS);
        known.add(ADDRESS_FLAG);
        for (Class<?> c : List.of(StanfordCoreNLPServer.class, ArgumentParser.class)) {
            for (Field f : c.getDeclaredFields()) {
                ArgumentParser.Option option = f.getAnnotation(ArgumentParser.Option.class);
                if (option != null) {
                    known.add(option.name());
                }
            }
        }
        // CoreNLP's -host only names this computer in its logs; taken for the address, it would do nothing.
        known.removeAll(List.of("host", "ssl", "option_classes", "exec.verbose"));
        for (String flag : new TreeSet<>(flags.stringPropertyNames())) {
            if (flag.equals("host")) {
                throw new IllegalArgumentException("-host only names this computer in CoreNLP's logs; to listen on"
                        + " another address, use -" + ADDRESS_FLAG + " (0.0.0.0 for every IPv4 address)");
            }
            if (flag.equals("ssl") && !flags.getProperty(flag).trim().equalsIgnoreCase("false")) {
                throw new IllegalArgumentException("-ssl: LazyLmServer serves plain HTTP; put a TLS proxy in front"
                        + " of it for HTTPS");
            }
            if (!flag.contains(".") && !known.contains(flag)) {
                throw new IllegalArgumentException("unknown flag -" + flag + "; did you mean -"
                        + ClosestName.closest(flag, known) + "? (the flags are the server's options "
                        + String.join(", ", known.stream().map(k -> "-" + k).toList())
                        + ", and pipeline properties with a dot such as -tokenize.language)");
            }
        }
    }

    /** Listens on the server's address, with the status endpoints on theirs when {@code -status_port} differs. */
    @Override
    public void run() {
        try {
            AtomicBoolean live = new AtomicBoolean(false);
            if (statusPort != serverPort) {
                statusServer = HttpServer.create(new InetSocketAddress(address, statusPort), 0);
                statusServer.createContext("/live", new LiveHandler() {});
                statusServer.createContext("/ready", new ReadyHandler(live));
                statusServer.start();
            }
            run(Optional.empty(), req -> true, obj -> {},
                    new FileHandler("edu/stanford/nlp/pipeline/demo/corenlp-brat.html"), false, live);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The stock server's endpoints on the server's address, with the guard in front of every handler, the
     * 400 answer, the UTF-8 check and {@link LazyLmProtobufSerializer} on the annotation endpoint; prints
     * where it listens once it does.
     *
     * @throws IllegalArgumentException if {@code https} is asked for (this server serves plain HTTP)
     */
    @Override
    public void run(Optional<Pair<String, String>> credentials, Predicate<Properties> authenticator,
            Consumer<FinishedRequest> callback, FileHandler homepage, boolean https, AtomicBoolean live) {
        if (https) {
            throw new IllegalArgumentException("LazyLmServer serves plain HTTP; put a TLS proxy in front of it");
        }
        Optional<Pair<String, String>> login = credentials.isPresent() || username == null || password == null
                ? credentials : Optional.of(Pair.makePair(username, password));
        Predicate<Properties> guarded = props -> {
            Optional<String> refusal = guard.violation(props).or(() -> notUtf8(props, BODY.get()));
            if (refusal.isPresent()) {
                LOG.warn("lazylm: refused a request: " + refusal.get());
                REFUSAL.set(refusal.get());
                return false;
            }
            useLazyLmSerializer(props);
            return authenticator.test(props);
        };
        try {
            server = HttpServer.create(new InetSocketAddress(address, serverPort), 0);
            String root = uriContext.isEmpty() ? "/" : uriContext;
            HttpHandler annotate = new CoreNLPHandler(new Properties(), guarded, callback, homepage, root) {
                @Override
                public String getContentType(Properties props, StanfordCoreNLP.OutputFormat of) {
                    return of == StanfordCoreNLP.OutputFormat.SERIALIZED && LazyLmProtobufSerializer.class.getName()
                            .equals(props.getProperty("outputSerializer")) ? "application/x-protobuf"
                            : super.getContentType(props, of);
                }
            };
            List<HttpContext> contexts = new ArrayList<>();
            contexts.add(server.createContext(root, exchange -> {
                REFUSAL.remove();
                byte[] body = exchange.getRequestBody().readAllBytes();
                BODY.set(new Body(body, charset(exchange.getRequestHeaders().getFirst("Content-type"))));
                try {
                    annotate.handle(new RefusingExchange(exchange, REFUSAL, new ByteArrayInputStream(body)));
                } finally {
                    REFUSAL.remove();
                    BODY.remove();
                }
            }));
            contexts.add(server.createContext(uriContext + "/tokensregex", new TokensRegexHandler(guarded, callback)));
            contexts.add(server.createContext(uriContext + "/semgrex", new SemgrexHandler(guarded, callback)));
            contexts.add(server.createContext(uriContext + "/tregex", new TregexHandler(guarded, callback)));
            contexts.add(server.createContext(uriContext + "/scenegraph", new SceneGraphHandler(guarded)));
            for (String[] file : DEMO_FILES) {
                contexts.add(server.createContext(uriContext + file[0],
                        new BytesFileHandler("edu/stanford/nlp/pipeline/demo/" + file[1], file[2])));
            }
            contexts.add(server.createContext(uriContext + "/shutdown", new ShutdownHandler() {}));
            login.ifPresent(pair -> contexts.forEach(context -> context.setAuthenticator(
                    new BasicAuthenticator("corenlp") {
                        @Override
                        public boolean checkCredentials(String user, String pass) {
                            return pair.first.equals(user) && pair.second.equals(pass);
                        }
                    })));
            server.createContext(uriContext + "/ping", new PingHandler() {});
            if (serverPort == statusPort) {
                server.createContext(uriContext + "/live", new LiveHandler() {});
                server.createContext(uriContext + "/ready", new ReadyHandler(live));
            }
            executor = Executors.newFixedThreadPool(ArgumentParser.threads);
            server.setExecutor(executor);
            server.start();
            live.set(true);
            System.out.println(readyLine());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the server prints once it serves: {@code LazyLmServer listening on http://HOST:PORT/}. */
    public String readyLine() {
        // The address as asked for: the JDK reports a socket bound to 0.0.0.0 as the IPv6 wildcard.
        String host = address.getHostAddress();
        return "LazyLmServer listening on http://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
                + port() + (uriContext.isEmpty() ? "/" : uriContext);
    }

    /** The port the server listens on (the one the system chose for {@code -port 0}). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** A request for CoreNLP's protobuf output gets it from {@link LazyLmProtobufSerializer}. */
    private static void useLazyLmSerializer(Properties props) {
        String stock = ProtobufAnnotationSerializer.class.getName();
        String serializer = props.getProperty("serializer", stock);
        if (serializer.equals(stock) && props.getProperty("outputSerializer", stock).equals(stock)) {
            props.setProperty("outputSerializer", LazyLmProtobufSerializer.class.getName());
        }
    }

    /** A request body and the charset CoreNLP decodes it with. */
    private record Body(byte[] bytes, String charset) {}

    /**
     * The charset CoreNLP's handler decodes a body with: the Content-type's {@code charset}, else UTF-8 (else
     * ISO-8859-1 with {@code -strict}).
     */
    private String charset(String contentType) {
        if (contentType != null) {
            for (String part : contentType.split(";")) {
                String[] pair = part.split("=");
                if (pair.length == 2 && pair[0].equals("charset")) {
                    return pair[1];
                }
            }
        }
        return strict ? "ISO-8859-1" : "UTF-8";
    }

    /**
     * Why the text of an annotation request is refused: bytes that are not UTF-8 (or a NUL byte), named by
     * their offset, in a UTF-8 body or in the text of a serialized document. Empty when it is fine, when it
     * is sent in another charset, or when no body is at hand (the endpoints other than annotation).
     */
    static Optional<String> notUtf8(Properties props, Body body) {
        if (body == null) {
            return Optional.empty();
        }
        byte[] text = body.bytes;
        String name = "the request body";
        if (props.getProperty("inputFormat", "text").equalsIgnoreCase("serialized")) {
            try {
                text = CoreNLPProtos.Document.parseDelimitedFrom(new ByteArrayInputStream(body.bytes))
                        .getTextBytes().toByteArray();
                name = "the serialized document's text";
            } catch (IOException | RuntimeException e) {
                return Optional.empty(); // CoreNLP answers a broken document itself
            }
        } else if (!body.charset.trim().equalsIgnoreCase("utf-8") && !body.charset.trim().equalsIgnoreCase("utf8")) {
            return Optional.empty();
        }
        if (new String(text, StandardCharsets.UTF_8).isBlank()) {
            return Optional.empty(); // valid (a replaced byte is not blank), and CoreNLP annotates empty text
        }
        try (InputStream in = new ByteArrayInputStream(text)) {
            TextCorpus.readText(in, name, Long.MAX_VALUE);
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(e.getMessage().replace("; save the text as UTF-8", "; send the text as UTF-8"));
        }
    }

    /** A request may shorten the server's timeout, never lengthen it. */
    @Override
    protected int getTimeout(Properties props, HttpExchange exchange) {
        return Math.min(super.getTimeout(props, exchange), timeoutMilliseconds);
    }

    /** Stops serving at once (for tests and embedding applications). */
    public void stop() {
        server.stop(0);
        if (statusServer != null) {
            statusServer.stop(0);
        }
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}

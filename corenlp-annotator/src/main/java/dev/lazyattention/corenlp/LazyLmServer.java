package dev.lazyattention.corenlp;

import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import edu.stanford.nlp.pipeline.StanfordCoreNLPServer;
import edu.stanford.nlp.util.ArgumentParser;
import edu.stanford.nlp.util.Pair;
import edu.stanford.nlp.util.StringUtils;
import edu.stanford.nlp.util.logging.Redwood;

import java.io.IOException;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * CoreNLP's server for pipelines with the {@code lazylm} annotator, started with the same flags as
 * {@link StanfordCoreNLPServer}:
 *
 * <pre>
 * java -cp ... dev.lazyattention.corenlp.LazyLmServer -port 9000 -timeout 15000 -serverProperties lazylm.properties
 * </pre>
 *
 * It differs from the stock server in what it trusts from a request (the stock server lets a request
 * override every property, so a client could make it open any file as a model or start any number of
 * threads):
 *
 * <ul>
 *   <li>the annotator's settings from the server's properties are fixed; a request that sets another
 *       {@code lazylm.*} value (other than {@code lazylm.topK} up to {@code lazylm.maxTopK}) or names an
 *       annotator class gets HTTP 400 with the reason, and nothing is opened or built for it;
 *   <li>a request may shorten the server's {@code -timeout} but not lengthen it; when the timeout fires,
 *       the annotation in progress stops at its next batch;
 *   <li>the model of every {@code lazylm} annotator loads at start, so a bad file fails the start, not a
 *       request.
 * </ul>
 */
public class LazyLmServer extends StanfordCoreNLPServer {

    private static final Redwood.RedwoodChannels LOG = Redwood.channels(LazyLmServer.class);

    /** Why the request being handled on this thread was refused; read when its response is sent. */
    private static final ThreadLocal<String> REFUSAL = new ThreadLocal<>();

    private final ServerSettingsGuard guard;

    /**
     * A server whose fixed settings are {@code props} (over the file named by {@code -serverProperties},
     * when given); loads the model of every {@code lazylm} annotator they configure.
     */
    public LazyLmServer(Properties props) throws IOException {
        super(props);
        Properties fixed = new Properties();
        if (serverPropertiesPath != null) {
            fixed.putAll(StringUtils.argsToProperties("-props", serverPropertiesPath));
        }
        fixed.putAll(props);
        guard = new ServerSettingsGuard(fixed);
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

    /** Starts the server; takes the flags of {@link StanfordCoreNLPServer}. */
    public static void main(String[] args) throws IOException {
        ArgumentParser.fillOptions(StanfordCoreNLPServer.class, args);
        Properties props = StringUtils.argsToProperties(args);
        LazyLmServer server = new LazyLmServer(props);
        ArgumentParser.fillOptions(server, args);
        if (!props.containsKey("status_port") && props.containsKey("port")) {
            server.statusPort = server.serverPort;
        }
        server.run();
    }

    /** Installs the guard in front of every handler, and the 400 answer on the annotation endpoint. */
    @Override
    public void run(Optional<Pair<String, String>> credentials, Predicate<Properties> authenticator,
            Consumer<FinishedRequest> callback, FileHandler homepage, boolean https, AtomicBoolean live) {
        Optional<Pair<String, String>> login = credentials.isPresent() || username == null || password == null
                ? credentials : Optional.of(Pair.makePair(username, password));
        Predicate<Properties> guarded = props -> {
            Optional<String> refusal = guard.violation(props);
            if (refusal.isPresent()) {
                LOG.warn("lazylm: refused a request: " + refusal.get());
                REFUSAL.set(refusal.get());
                return false;
            }
            return authenticator.test(props);
        };
        // The stock handlers refuse with 401 and a fixed text; the annotation endpoint says why, with 400.
        super.run(login, guarded, callback, homepage, https, live);
        String root = uriContext.isEmpty() ? "/" : uriContext;
        HttpHandler annotate = new CoreNLPHandler(new Properties(), guarded, callback, homepage, root);
        server.removeContext(root);
        HttpContext context = server.createContext(root, exchange -> {
            REFUSAL.remove();
            try {
                annotate.handle(new RefusingExchange(exchange, REFUSAL));
            } finally {
                REFUSAL.remove();
            }
        });
        login.ifPresent(pair -> context.setAuthenticator(new BasicAuthenticator("corenlp") {
            @Override
            public boolean checkCredentials(String user, String pass) {
                return pair.first.equals(user) && pair.second.equals(pass);
            }
        }));
    }

    /** A request may shorten the server's timeout, never lengthen it. */
    @Override
    protected int getTimeout(Properties props, HttpExchange exchange) {
        return Math.min(super.getTimeout(props, exchange), timeoutMilliseconds);
    }

    /** Stops serving at once (for tests and embedding applications). */
    public void stop() {
        server.stop(0);
    }
}

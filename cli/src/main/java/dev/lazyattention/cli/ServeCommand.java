package dev.lazyattention.cli;

import dev.lazyattention.lm.LazyLanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code lazyattn serve}: a local web page that shows what a model attends to. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a local web page of a model's surprisal and attention, and its JSON endpoint.",
            "Paste a text and see each token's surprisal, the model's likely next tokens, and the attention map,"
                    + " sparsity, sink mass and tau of every layer and head.",
            "JSON for scripts: GET /api/info, POST /api/analyze {\"text\": ..., \"layer\": 0, \"head\": 0}."})
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "FILE|DIR",
            description = "A .lazylm.zip model file, or a model folder in Hugging Face's layout.")
    Path modelFile;

    @Option(names = "--compare", paramLabel = "FILE|DIR",
            description = "A second model file or folder, shown side by side.")
    Path compareFile;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080",
            description = "Port (default: ${DEFAULT-VALUE}; 0 takes any free port).")
    int port;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only; the page has no login).")
    String host;

    @Option(names = "--max-concurrent", paramLabel = "N", defaultValue = "2",
            description = "Analyses at once; more are answered 503 (default: ${DEFAULT-VALUE}).")
    int maxConcurrent;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        }
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("--max-concurrent must be at least 1, got " + maxConcurrent);
        }
        List<LazyLanguageModel> loaded = new ArrayList<>();
        try {
            List<AttentionAnalyzer> analyzers = new ArrayList<>();
            for (Path file : compareFile == null ? List.of(modelFile) : List.of(modelFile, compareFile)) {
                LazyLanguageModel lm = LazyLanguageModel.load(file, device.resolve());
                loaded.add(lm);
                analyzers.add(new AttentionAnalyzer(file.getFileName().toString(), lm));
            }
            try (AttentionServer server = new AttentionServer(analyzers, host, port, maxConcurrent)) {
                System.out.printf("Serving %s on http://%s:%d/ (Ctrl-C stops)%n",
                        compareFile == null ? modelFile : modelFile + " and " + compareFile,
                        host.contains(":") ? "[" + host + "]" : host, server.port());
                System.out.flush();
                CountDownLatch stop = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
                stop.await();
            }
        } finally {
            for (LazyLanguageModel lm : loaded) {
                lm.close();
            }
        }
        return 0;
    }
}

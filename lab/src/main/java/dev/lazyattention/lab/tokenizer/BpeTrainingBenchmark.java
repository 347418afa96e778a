package dev.lazyattention.lab.tokenizer;

import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.BpeTrainer;
import dev.lazyattention.tokenizer.TokenizerJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Times training on about 10 MB of text and encoding speed; a program, not a test, because it needs
 * the corpus folder, which the default build must not depend on.
 *
 * <p>Run with {@code java -cp lab/target/classes:$(cat lab/target/lazyattn.classpath)
 * dev.lazyattention.lab.tokenizer.BpeTrainingBenchmark DIR MB VOCAB} once {@code ./lazyattn --help} has built
 * the lab module; the defaults are {@code /work/shared/data/train 10 8192}. Every {@code *.txt.gz} file in DIR is read in
 * name order, and its paragraphs become documents until MB megabytes of UTF-8 are collected.
 */
public final class BpeTrainingBenchmark {

    private BpeTrainingBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "/work/shared/data/train");
        long targetBytes = (long) (Double.parseDouble(args.length > 1 ? args[1] : "10") * 1_000_000);
        int vocabSize = Integer.parseInt(args.length > 2 ? args[2] : "8192");
        if (!Files.isDirectory(dir)) {
            System.err.println("no corpus folder " + dir);
            System.exit(1);
        }

        List<String> documents = readDocuments(dir, targetBytes);
        long bytes = documents.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum();
        System.out.printf("corpus: %d documents, %.2f MB, %d cores%n",
                documents.size(), bytes / 1e6, Runtime.getRuntime().availableProcessors());

        long start = System.nanoTime();
        BpeTokenizer tokenizer = new BpeTrainer(vocabSize).train(documents);
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("training: vocab %d (asked %d) in %.2f s%n", tokenizer.vocabSize(), vocabSize, trainSeconds);

        Path saved = Files.createTempFile("bpe-benchmark", ".json");
        TokenizerJson.save(tokenizer, saved);
        for (int pass = 1; pass <= 3; pass++) {
            // A freshly loaded tokenizer has an empty cache, so pass 1 includes the cache misses.
            BpeTokenizer encoder = pass == 1 ? TokenizerJson.load(saved) : tokenizer;
            long tokens = 0;
            start = System.nanoTime();
            for (String document : documents) {
                tokens += encoder.encode(document).length;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("encode pass %d (%s cache): %d tokens, %.2f bytes/token, %.1f MB/s single-threaded%n",
                    pass, pass == 1 ? "cold" : "warm", tokens, (double) bytes / tokens, bytes / 1e6 / seconds);
        }
        Files.delete(saved);
    }

    private static List<String> readDocuments(Path dir, long targetBytes) throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(".txt.gz")).sorted().collect(Collectors.toList());
        }
        List<String> documents = new ArrayList<>();
        long total = 0;
        StringBuilder paragraph = new StringBuilder();
        for (Path file : files) {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                    new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null && total < targetBytes; ) {
                    paragraph.append(line).append('\n');
                    if (line.isBlank()) {
                        documents.add(paragraph.toString());
                        total += paragraph.toString().getBytes(StandardCharsets.UTF_8).length;
                        paragraph.setLength(0);
                    }
                }
            }
            if (total >= targetBytes) {
                break;
            }
        }
        if (paragraph.length() > 0) {
            documents.add(paragraph.toString());
        }
        return documents;
    }
}

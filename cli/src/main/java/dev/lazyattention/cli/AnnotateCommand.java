package dev.lazyattention.cli;

import dev.lazyattention.corenlp.LazyLmAnnotator;
import dev.lazyattention.corenlp.LazyLmJsonOutputter;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;

/** {@code lazyattn annotate}. */
@Command(name = "annotate", mixinStandardHelpOptions = true,
        description = {"Run CoreNLP (tokenize, ssplit, lazylm) on a file or standard input and print the JSON.",
            "Every token, sentence and the document get log-probability, surprisal, perplexity and bits per byte."})
final class AnnotateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A .lazylm.zip model file.")
    Path modelFile;

    @Option(names = "--file", paramLabel = "FILE", description = "Text file (default: standard input).")
    Path file;

    @Option(names = "--scope", defaultValue = "sentence", paramLabel = "sentence|document",
            description = "Score each sentence alone or after the text before it (default: ${DEFAULT-VALUE}).")
    String scope;

    @Option(names = "--top-k", defaultValue = "0", description = "Next-token predictions per sentence (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--attention-stats", description = "Add sparsity and sink mass per sentence and document.")
    boolean attentionStats;

    @Option(names = "--compact", description = "One line of JSON instead of pretty printing.")
    boolean compact;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Override
    public Integer call() throws IOException {
        String text = file == null ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                : dev.lazyattention.io.TextCorpus.readText(file);
        Properties p = new Properties();
        p.setProperty("annotators", "tokenize,ssplit,lazylm");
        p.setProperty("customAnnotatorClass.lazylm", LazyLmAnnotator.class.getName());
        p.setProperty("lazylm.model", modelFile.toString());
        p.setProperty("lazylm.device", device.device);
        p.setProperty("lazylm.scope", scope);
        p.setProperty("lazylm.topK", Integer.toString(topK));
        p.setProperty("lazylm.attentionStats", Boolean.toString(attentionStats));
        p.setProperty("outputFormat", "custom");
        p.setProperty("customOutputter", LazyLmJsonOutputter.class.getName());
        p.setProperty("output.prettyPrint", Boolean.toString(!compact));
        StanfordCoreNLP pipeline = new StanfordCoreNLP(p);
        Annotation doc = new Annotation(text);
        pipeline.annotate(doc);
        PrintStream out = System.out;
        new LazyLmJsonOutputter().print(doc, out, pipeline);
        out.println();
        return 0;
    }
}

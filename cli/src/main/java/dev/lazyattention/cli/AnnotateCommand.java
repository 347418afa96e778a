package dev.lazyattention.cli;

import dev.lazyattention.corenlp.LazyLmAnnotator;
import dev.lazyattention.corenlp.LazyLmConfigurationException;
import dev.lazyattention.corenlp.LazyLmJsonOutputter;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.Setting;
import dev.lazyattention.settings.SettingOptions;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** {@code lazyattn annotate}. */
@Command(name = "annotate", mixinStandardHelpOptions = true, modelTransformer = AnnotateCommand.Settings.class,
        description = {"Run CoreNLP (tokenize, ssplit, lazylm) on a file or standard input (-) and print the JSON.",
            "Every token, sentence and the document get log-probability, surprisal, perplexity and bits per byte."})
final class AnnotateCommand implements Callable<Integer> {

    /** Adds an option for the scoring settings annotate passes to the annotator besides --device and --threads. */
    static final class Settings implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            return SettingOptions.addTo(spec, FrontEnd.CLI, ScoringConfig.SETTINGS.builder(), List.of(
                    ScoringConfig.MODEL, ScoringConfig.WINDOW, ScoringConfig.STRIDE, ScoringConfig.BATCH_SIZE,
                    ScoringConfig.ATTENTION_STATS, ScoringConfig.TOP_K, ScoringConfig.SCOPE));
        }
    }

    @Parameters(arity = "0..1", paramLabel = "FILE",
            description = "Text file (.txt or .txt.gz); - or none reads standard input.")
    Path positional;

    @Option(names = "--file", paramLabel = "FILE", description = "Text file, as FILE.")
    Path file;

    @Spec
    CommandSpec spec;

    @Option(names = "--compact", description = "One line of JSON instead of pretty printing.")
    boolean compact;

    /**
     * The JSON of a whole text is built in memory (CoreNLP's JSON, then a tree with the lazylm values, then
     * the printed string), about 80 bytes of JSON and up to a kilobyte of heap per character: a 1 MB text
     * runs in a 1 GB heap, a 5 MB one fills the launcher's 6 GB (7 GB resident), 50 MB ran out of it.
     */
    static final int DEFAULT_MAX_CHARS = 1_000_000;

    @Option(names = "--max-chars", defaultValue = "" + DEFAULT_MAX_CHARS, paramLabel = "N",
            description = {"Refuse a text of more than N characters before reading it all (default: ${DEFAULT-VALUE}).",
                "The JSON is built in memory: raise the heap (LAZYATTN_JAVA_OPTS=-Xmx...) with it."})
    int maxChars;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Override
    public Integer call() throws IOException {
        if (maxChars < 1) {
            throw new IllegalArgumentException("--max-chars must be >= 1, got " + maxChars);
        }
        if (positional != null && file != null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Give the text file once: as FILE or as --file FILE, not both");
        }
        // The text is within the limit already: the annotator must never fall back to NaN for its length.
        ScoringConfig config = SettingOptions.read(spec, FrontEnd.CLI,
                ScoringConfig.SETTINGS.builder().set(ScoringConfig.MAX_DOCUMENT_CHARS, maxChars));
        Path input = positional != null ? positional : file;
        String text = input == null || TextInputs.isStandardInput(input)
                ? readStandardInput(System.in, maxChars) : readFile(input, maxChars);
        Properties p = new Properties();
        p.setProperty("annotators", "tokenize,ssplit,lazylm");
        p.setProperty("customAnnotatorClass.lazylm", LazyLmAnnotator.class.getName());
        for (Setting<?> s : ScoringConfig.SETTINGS.settings(FrontEnd.CORENLP)) {
            Object value = ScoringConfig.SETTINGS.get(config, s);
            if (value != null) {
                p.setProperty(ScoringConfig.SETTINGS.name(FrontEnd.CORENLP, s), Setting.textOf(value));
            }
        }
        p.setProperty("outputFormat", "custom");
        p.setProperty("customOutputter", LazyLmJsonOutputter.class.getName());
        p.setProperty("output.prettyPrint", Boolean.toString(!compact));
        StanfordCoreNLP pipeline;
        try {
            pipeline = new StanfordCoreNLP(p);
        } catch (LazyLmConfigurationException e) {
            throw new IllegalArgumentException(asOptions(e.getMessage()), e);
        }
        Annotation doc = new Annotation(text);
        pipeline.annotate(doc);
        PrintStream out = System.out;
        new LazyLmJsonOutputter().print(doc, out, pipeline);
        out.println();
        return 0;
    }

    /** The annotator's message with its properties named as this command's options. */
    static String asOptions(String message) {
        String result = message;
        for (Setting<?> s : ScoringConfig.SETTINGS.settings(FrontEnd.CLI)) {
            result = result.replace(ScoringConfig.SETTINGS.name(FrontEnd.CORENLP, s) + "=",
                    ScoringConfig.SETTINGS.name(FrontEnd.CLI, s) + "=");
        }
        return result;
    }

    /**
     * Standard input, checked as a file is (strict UTF-8, no NUL byte, not empty: the same messages), reading
     * at most {@code limit + 1} characters: a longer text is refused without being held in memory.
     */
    static String readStandardInput(InputStream in, int limit) throws IOException {
        String text = TextCorpus.readText(in, TextInputs.STANDARD_INPUT_NAME, limit);
        if (text.length() > limit) {
            throw new IllegalArgumentException(TextInputs.STANDARD_INPUT_NAME + ": " + tooLong(limit));
        }
        return text;
    }

    /**
     * The file's text (strictly decoded by {@link TextCorpus#readText}) once its length is known to be within
     * {@code limit}: a file of at most {@code limit} bytes always is (UTF-8 takes at least one byte per Java
     * character); a bigger or gzipped one is counted first, reading at most {@code limit + 1} characters.
     */
    static String readFile(Path file, int limit) throws IOException {
        boolean gzip = file.getFileName().toString().endsWith(".gz");
        if (Files.isDirectory(file) || (!gzip && Files.size(file) <= limit)) {
            return TextCorpus.readText(file); // its own messages for folders, binary and malformed text
        }
        long bytes = Files.size(file);
        long chars = 0;
        try (InputStream raw = Files.newInputStream(file);
             Reader reader = new InputStreamReader(gzip ? new GZIPInputStream(raw, 1 << 16) : raw,
                     StandardCharsets.UTF_8)) {
            char[] buffer = new char[8192];
            int n;
            while (chars <= limit && (n = reader.read(buffer)) > 0) {
                chars += n;
            }
        } catch (ZipException | EOFException e) {
            throw new IOException(file + ": not a readable gzip file (" + e.getMessage() + ")", e);
        }
        if (chars > limit) {
            throw new IllegalArgumentException(file + ": " + bytes + " bytes" + (gzip ? " compressed" : "")
                    + ", " + tooLong(limit));
        }
        return TextCorpus.readText(file);
    }

    private static String tooLong(int limit) {
        return "more than annotate's limit of " + limit + " characters (its JSON is built in memory); raise it with"
                + " --max-chars N, and the heap with it (LAZYATTN_JAVA_OPTS=-Xmx...)";
    }
}

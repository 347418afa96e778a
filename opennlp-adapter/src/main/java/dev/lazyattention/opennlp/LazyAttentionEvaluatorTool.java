package dev.lazyattention.opennlp;

import dev.lazyattention.eval.CorpusEvaluator;
import dev.lazyattention.eval.EvalResult;
import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.engine.DjlSetup;
import dev.lazyattention.engine.EngineThreads;
import dev.lazyattention.settings.FrontEnd;
import opennlp.tools.cmdline.ArgumentParser.OptionalParameter;
import opennlp.tools.cmdline.ArgumentParser.ParameterDescription;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Measures a model on text files with the block's {@link CorpusEvaluator}:
 *
 * <pre>
 * java -cp ... dev.lazyattention.opennlp.LazyAttentionEvaluatorTool -model en.lazylm.zip -data a.txt,b.txt [-window 256]
 * </pre>
 *
 * <p>{@code -model}, {@code -window} and {@code -threads} are the OpenNLP column of {@link
 * ScoringConfig#SETTINGS}, read with its checks and defaults. The files are read as the trainer reads them
 * (UTF-8, {@code .gz} allowed, a document per paragraph); every document is scored from its first token after
 * {@code <|endoftext|>}, in sliding windows. Prints one
 * {@code name value} line each for {@code documents}, {@code tokens}, {@code bytes}, {@code loss} (mean
 * nats per token), {@code perplexity} and {@code bitsPerByte} (total negative log-likelihood over the UTF-8
 * bytes, in bits: comparable across tokenizers).
 */
public final class LazyAttentionEvaluatorTool extends LazyAttentionCmdLineTool {

    /** The tool's arguments. */
    public interface Params {

        @ParameterDescription(valueName = "modelFile", description = "the .lazylm.zip model.")
        File getModel();

        @ParameterDescription(valueName = "textFiles",
                description = "comma-separated UTF-8 text files (.gz allowed); a document is a paragraph.")
        String getData();

        @ParameterDescription(valueName = "tokens", description = "scoring window; default the model's context length.")
        @OptionalParameter
        Integer getWindow();

        @ParameterDescription(valueName = "N",
                description = "threads libtorch may use in one operation; default one per core.")
        @OptionalParameter
        String getThreads();
    }

    public LazyAttentionEvaluatorTool() {
        this(System.in, System.out);
    }

    public LazyAttentionEvaluatorTool(InputStream in, PrintStream out) {
        super(in, out);
    }

    @Override
    public String getShortDescription() {
        return "measures perplexity and bits per byte of a Lazy Attention model on text files";
    }

    @Override
    public String getHelp() {
        return usage(Params.class);
    }

    @Override
    public void run(String[] args) {
        refuseUnknownArguments(args, Params.class);
        Params params = validateAndParseParams(args, Params.class);
        ScoringConfig config;
        try {
            config = ScoringConfig.SETTINGS.builder().read(FrontEnd.OPENNLP, arguments(args)::get)
                    .build(FrontEnd.OPENNLP);
        } catch (IllegalArgumentException e) {
            throw argumentError(e.getMessage(), e);
        }
        EngineThreads.apply(config.threads(), 1, THREADS);
        checkInput("model", params.getModel());
        List<Path> files = new ArrayList<>();
        for (String name : params.getData().split(",")) {
            if (!name.isBlank()) {
                File file = new File(name.trim());
                checkInput("evaluation data", file);
                files.add(file.toPath());
            }
        }
        if (files.isEmpty()) {
            throw usageError("-data names no file", null);
        }
        TextCorpus corpus;
        try {
            corpus = TextCorpus.read(files);
        } catch (IOException e) {
            throw fileError(e.getMessage(), e);
        }
        try (LazyAttentionModel model = loadModel(params.getModel())) {
            LazyLanguageModel lm = model.languageModel();
            ScoringOptions options = config.options(lm.config().contextLength(), "-window");
            EvalResult result = new CorpusEvaluator(lm, options).evaluate(corpus);
            out.printf(Locale.ROOT, "documents %d%n", corpus.documents().size());
            out.printf(Locale.ROOT, "tokens %d%n", result.tokens());
            out.printf(Locale.ROOT, "bytes %d%n", result.bytes());
            out.printf(Locale.ROOT, "loss %.6f%n", result.loss());
            out.printf(Locale.ROOT, "perplexity %.6f%n", result.perplexity());
            out.printf(Locale.ROOT, "bitsPerByte %.6f%n", result.bitsPerByte());
        } catch (IllegalArgumentException e) {
            throw argumentError(e.getMessage(), e);
        } catch (IOException e) {
            throw fileError("cannot load the model: " + e.getMessage(), e);
        }
    }

    /** Evaluates as described in the class comment; exits with the tool's status. */
    public static void main(String[] args) {
        DjlSetup.offline();
        System.exit(new LazyAttentionEvaluatorTool(System.in, standardOutput()).execute(args, System.err));
    }
}

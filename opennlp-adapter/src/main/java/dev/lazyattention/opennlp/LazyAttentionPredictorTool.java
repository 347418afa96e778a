package dev.lazyattention.opennlp;

import dev.lazyattention.engine.DjlSetup;

import opennlp.tools.cmdline.ArgumentParser.OptionalParameter;
import opennlp.tools.cmdline.ArgumentParser.ParameterDescription;
import opennlp.tools.tokenize.DetokenizationDictionary;
import opennlp.tools.tokenize.DictionaryDetokenizer;
import opennlp.tools.tokenize.WhitespaceTokenizer;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Scores token lines from standard input, like OpenNLP's {@code NGramLanguageModel} tool:
 *
 * <pre>
 * echo "The quick fox" | java -cp ... dev.lazyattention.opennlp.LazyAttentionPredictorTool -model en.lazylm.zip [-detokenizer dict.xml]
 * </pre>
 *
 * <p>Each input line (UTF-8) holds tokens separated by whitespace. For each line one output line is
 * printed: the natural-log probability of the tokens' text (6 decimals), a tab, and the predicted next
 * token (nothing when the model expects the text to end). See {@link LazyAttentionLanguageModel} for how
 * tokens become text: single spaces, or the OpenNLP detokenizer dictionary given with {@code -detokenizer}.
 */
public final class LazyAttentionPredictorTool extends LazyAttentionCmdLineTool {

    /** The tool's arguments. */
    public interface Params {

        @ParameterDescription(valueName = "modelFile", description = "the .lazylm.zip model.")
        File getModel();

        @ParameterDescription(valueName = "dictionary",
                description = "OpenNLP detokenizer dictionary that joins the tokens; default single spaces.")
        @OptionalParameter
        String getDetokenizer();

        @ParameterDescription(valueName = "N",
                description = "threads libtorch may use in one operation; default one per core.")
        @OptionalParameter
        String getThreads();
    }

    public LazyAttentionPredictorTool() {
        this(System.in, System.out);
    }

    public LazyAttentionPredictorTool(InputStream in, PrintStream out) {
        super(in, out);
    }

    @Override
    public String getShortDescription() {
        return "gives the log-probability and the next token of token lines under a Lazy Attention model";
    }

    @Override
    public String getHelp() {
        return usage(Params.class) + "\n\nReads token lines from standard input; prints 'logProbability<TAB>nextToken' per line.";
    }

    @Override
    public void run(String[] args) {
        refuseUnknownArguments(args, Params.class);
        Params params = validateAndParseParams(args, Params.class);
        applyThreads(params.getThreads());
        DetokenizationRule rule = DetokenizationRule.whitespace();
        if (params.getDetokenizer() != null) {
            File dictionary = new File(params.getDetokenizer());
            checkInput("detokenizer dictionary", dictionary);
            try {
                rule = DetokenizationRule.detokenizer(
                        new DictionaryDetokenizer(new DetokenizationDictionary(dictionary)));
            } catch (IOException | RuntimeException e) {
                throw argumentError("cannot read the detokenizer dictionary " + dictionary + ": " + e.getMessage(), null);
            }
        }
        try (LazyAttentionModel model = loadModel(params.getModel())) {
            LazyAttentionLanguageModel lm = new LazyAttentionLanguageModel(model, rule);
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                String[] tokens = WhitespaceTokenizer.INSTANCE.tokenize(line);
                double logProbability = lm.logProbability(tokens);
                String[] next = lm.predictNextTokens(tokens);
                out.printf(Locale.ROOT, "%.6f\t%s%n", logProbability, String.join(" ", next));
            }
        } catch (IllegalArgumentException e) {
            throw argumentError(e.getMessage(), e);
        } catch (IOException e) {
            throw fileError(e.getMessage(), e);
        }
    }

    /** Scores standard input as described in the class comment; exits with the tool's status. */
    public static void main(String[] args) {
        DjlSetup.offline();
        System.exit(new LazyAttentionPredictorTool(System.in, standardOutput()).execute(args, System.err));
    }
}

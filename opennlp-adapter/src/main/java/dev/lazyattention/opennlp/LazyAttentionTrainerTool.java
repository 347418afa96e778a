package dev.lazyattention.opennlp;

import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.engine.DjlSetup;
import opennlp.tools.cmdline.ArgumentParser.OptionalParameter;
import opennlp.tools.cmdline.ArgumentParser.ParameterDescription;
import opennlp.tools.cmdline.CmdLineUtil;
import opennlp.tools.cmdline.params.TrainingToolParams;
import opennlp.tools.util.ObjectStream;
import opennlp.tools.util.ObjectStreamUtils;
import opennlp.tools.util.TrainingParameters;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Trains a Lazy Attention model on a text file and writes the {@code .lazylm.zip}:
 *
 * <pre>
 * java -cp ... dev.lazyattention.opennlp.LazyAttentionTrainerTool -lang en -data corpus.txt -model en.lazylm.zip \
 *     [-params train.properties] [-iterations 2000] [-documents paragraph|line]
 * </pre>
 *
 * <p>The data file is UTF-8 text ({@code .gz} is decompressed). With {@code -documents paragraph} (the
 * default) a document is a paragraph: text between blank lines, its line breaks kept; with {@code
 * -documents line} every non-blank line is a document. The model sees {@code <|endoftext|>} between
 * documents. The parameters file is an OpenNLP training parameters file ({@code Iterations} and the {@code
 * lazylm.*} names of {@link OpenNlpTrainingParameters}); {@code -iterations} overrides its {@code Iterations}, and
 * {@code -threads} its {@code lazylm.threads}. A progress bar is shown on a terminal unless the parameters
 * say {@code lazylm.progress=false}, as everywhere the recipe trains. An unknown argument is refused with the closest known one.
 */
public final class LazyAttentionTrainerTool extends LazyAttentionCmdLineTool {

    /** The tool's arguments. */
    public interface Params extends TrainingToolParams {

        @ParameterDescription(valueName = "textFile", description = "training text, UTF-8 (.gz allowed).")
        File getData();

        @ParameterDescription(valueName = "paragraph|line",
                description = "a document is a paragraph (text between blank lines, the default) or a line.")
        @OptionalParameter(defaultValue = "paragraph")
        String getDocuments();

        @ParameterDescription(valueName = "steps", description = "optimizer steps; overrides Iterations of -params.")
        @OptionalParameter
        Integer getIterations();

        @ParameterDescription(valueName = "N",
                description = "threads libtorch may use in one operation; default one per core.")
        @OptionalParameter
        String getThreads();
    }

    public LazyAttentionTrainerTool() {
        this(System.in, System.out);
    }

    public LazyAttentionTrainerTool(InputStream in, PrintStream out) {
        super(in, out);
    }

    @Override
    public String getShortDescription() {
        return "trains a Lazy Attention language model on a text file";
    }

    @Override
    public String getHelp() {
        return usage(Params.class);
    }

    @Override
    public void run(String[] args) {
        refuseUnknownArguments(args, Params.class);
        Params params = validateAndParseParams(args, Params.class);
        checkInput("training data", params.getData());
        CmdLineUtil.checkOutputFile("output model", params.getModel());
        TrainingParameters training = loadParameters(params.getParams());
        if (params.getIterations() != null) {
            training.put(OpenNlpTrainingParameters.ITERATIONS, params.getIterations());
        }
        Integer threads = threads(params.getThreads());
        if (threads != null) {
            training.put(OpenNlpTrainingParameters.THREADS, threads);
        }
        List<String> documents = readDocuments(params.getData(), params.getDocuments());
        out.printf(Locale.ROOT, "Training on %d documents from %s%n", documents.size(), params.getData());
        try (ObjectStream<String> stream = ObjectStreamUtils.createObjectStream(documents);
                LazyAttentionModel model = LazyAttentionModel.train(params.getLang(), stream, training)) {
            model.save(params.getModel().toPath());
            out.printf(Locale.ROOT, "Wrote %s (%s, %,d parameters)%n", params.getModel(),
                    model.languageModel().config(), model.languageModel().parameterCount());
        } catch (IllegalArgumentException e) {
            throw argumentError(e.getMessage(), e);
        } catch (IOException e) {
            throw fileError("training failed: " + e.getMessage(), e);
        }
    }

    private static TrainingParameters loadParameters(String file) {
        if (file == null) {
            return new TrainingParameters();
        }
        File f = new File(file);
        checkInput("training parameters", f);
        try (InputStream in = Files.newInputStream(f.toPath())) {
            return new TrainingParameters(in);
        } catch (IOException | IllegalArgumentException e) {
            throw argumentError("cannot read the training parameters file " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<String> readDocuments(File file, String mode) {
        try {
            switch (mode.toLowerCase(Locale.ROOT)) {
                case "paragraph":
                    return TextCorpus.read(List.of(file.toPath())).documents();
                case "line":
                    List<String> lines = new ArrayList<>();
                    for (String line : TextCorpus.readText(file.toPath()).split("\\R")) {
                        if (!line.isBlank()) {
                            lines.add(line.strip());
                        }
                    }
                    return lines;
                default:
                    throw usageError("-documents must be paragraph or line, got '" + mode + "'", null);
            }
        } catch (IOException e) {
            throw fileError(e.getMessage(), e);
        }
    }

    /** Trains as described in the class comment; exits with the tool's status. */
    public static void main(String[] args) {
        DjlSetup.offline();
        System.exit(new LazyAttentionTrainerTool(System.in, standardOutput()).execute(args, System.err));
    }
}

package dev.lazyattention.cli;

import dev.lazyattention.data.TextCorpus;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The text inputs of every command that reads text, one convention for all: files given as {@code FILE...}
 * (or under {@code --train FILE...} or {@code --file FILE}), {@code -} for standard input, UTF-8
 * (or {@code .gz}), checked alike: a missing file, a folder, binary data, bytes that are not UTF-8 (named by
 * their offset) and an input without text are refused with its name, from a file and from standard input
 * the same way ("standard input: no text ...").
 */
public final class TextInputs {

    /** The name of standard input among the files. */
    static final String STANDARD_INPUT = "-";

    /** What messages call standard input. */
    static final String STANDARD_INPUT_NAME = "standard input";

    private TextInputs() {}

    /** Whether {@code file} stands for standard input. */
    static boolean isStandardInput(Path file) {
        return file != null && file.toString().equals(STANDARD_INPUT);
    }

    /**
     * The files given as {@code FILE...} and under {@code earlierOption} together.
     *
     * @throws CommandLine.ParameterException (a usage error) when none is given and {@code required}, or when
     *     standard input is named more than once
     */
    static List<Path> files(CommandSpec spec, List<Path> positional, List<Path> earlier, String earlierOption,
            boolean required, String what) {
        List<Path> all = new ArrayList<>();
        if (positional != null) {
            all.addAll(positional);
        }
        if (earlier != null) {
            all.addAll(earlier);
        }
        if (all.isEmpty() && required) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing " + what + ": give FILE... (- for"
                    + " standard input" + (earlierOption == null ? "" : "; " + earlierOption + " FILE... also works")
                    + ")");
        }
        if (all.stream().filter(TextInputs::isStandardInput).count() > 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "- (standard input) is given more than once");
        }
        return all;
    }

    /** The documents of the files (paragraphs), standard input read for {@code -}. */
    public static TextCorpus corpus(List<Path> files, InputStream standardInput) throws IOException {
        if (files.stream().noneMatch(TextInputs::isStandardInput)) {
            return TextCorpus.read(files);
        }
        List<String> texts = new ArrayList<>();
        for (Path file : files) {
            texts.add(isStandardInput(file)
                    ? TextCorpus.readText(standardInput, STANDARD_INPUT_NAME, Long.MAX_VALUE)
                    : TextCorpus.readText(file));
        }
        return TextCorpus.fromTexts(texts, files.size() == 1 ? STANDARD_INPUT_NAME : files.size() + " inputs");
    }
}

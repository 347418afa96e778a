package dev.lazyattention.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;

/**
 * The files of a command that trains ({@code train}, and the lab's {@code experiment}): training text as
 * {@code FILE...} or {@code --train FILE...}, validation text after {@code --valid}, and the output folder.
 */
public final class TrainingFiles {

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Parameters(arity = "0..*", paramLabel = "FILE",
            description = "Training text files (.txt or .txt.gz); - reads standard input.")
    List<Path> files;

    @Option(names = "--train", arity = "1..*", paramLabel = "FILE", description = "Training text files, as FILE...")
    List<Path> trainFiles;

    @Option(names = "--valid", arity = "1..*", paramLabel = "FILE",
            description = "Validation text files (after FILE...: --valid takes the files that follow it).")
    List<Path> validFiles;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    /**
     * The training files: {@code FILE...} and {@code --train FILE...}, at least one, and standard input at most
     * once among them and the validation files.
     *
     * @throws picocli.CommandLine.ParameterException naming what is missing or given twice
     */
    public List<Path> train() {
        boolean none = (files == null || files.isEmpty()) && (trainFiles == null || trainFiles.isEmpty());
        if (none && validFiles != null && validFiles.size() > 1) {
            throw new ParameterException(command.commandLine(), "Missing training text: --valid takes every"
                    + " file after it, so " + validFiles + " are all validation files; put the training FILE..."
                    + " before --valid (or give them with --train FILE...)");
        }
        List<Path> train = TextInputs.files(command, files, trainFiles, "--train", true, "training text");
        if (validFiles != null && train.stream().anyMatch(TextInputs::isStandardInput)
                && validFiles.stream().anyMatch(TextInputs::isStandardInput)) {
            throw new ParameterException(command.commandLine(),
                    "- (standard input) is given for both training and validation text");
        }
        return train;
    }

    /** The validation files, or null when none were given. */
    public List<Path> valid() {
        return validFiles;
    }

    public Path out() {
        return out;
    }
}

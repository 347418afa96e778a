package dev.lazyattention.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.ToIntFunction;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** Exit code, standard output and standard error of one command line run in this JVM; and a parse alone. */
public record CommandRun(int code, String out, String err) {

    /**
     * Runs {@code main} on {@code args} with {@code input} as standard input, capturing both outputs.
     *
     * @param main the command line's entry point that returns the exit code ({@link Main#run})
     */
    public static CommandRun of(ToIntFunction<String[]> main, byte[] input, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(input));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = main.applyAsInt(args);
            return new CommandRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** The spec of {@code command} after {@code cli} parsed {@code command args} (nothing runs). */
    public static CommandSpec parsed(CommandLine cli, String command, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = command;
        System.arraycopy(args, 0, all, 1, args.length);
        cli.parseArgs(all);
        return cli.getSubcommands().get(command).getCommandSpec();
    }
}

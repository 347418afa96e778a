package dev.lazyattention.cli;

import dev.lazyattention.engine.DjlSetup;
import dev.lazyattention.names.ClosestName;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The {@code lazyattn} command. */
@Command(
        name = "lazyattn",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Train, evaluate and run Lazy Attention language models (arXiv 2601.00919) on the JVM.",
        footer = {"", "Experiments and benchmarks come from the lab module, which the lazyattn script runs for them: "
                + "lazyattn experiment --help, lazyattn bench --help."},
        subcommands = {
            TrainCommand.class,
            EvalCommand.class,
            GenerateCommand.class,
            ChooseCommand.class,
            InspectCommand.class,
            DemoCommand.class,
            CheckDeviceCommand.class,
            AnnotateCommand.class,
            ServeCommand.class,
            ExportCommand.class,
            ImportCommand.class
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (0 success, 1 failure, 2 usage error). */
    public static int run(String... args) {
        DjlSetup.offline();
        return commandLine().execute(args);
    }

    /**
     * The {@code lazyattn} command line with {@code extra} subcommands (picocli command objects or classes)
     * after the product's own and before {@code help}; they get the same usage errors, failure messages and
     * {@code --threads} handling. Call {@link DjlSetup#offline()} before executing it.
     */
    public static CommandLine commandLine(Object... extra) {
        CommandLine cli = new CommandLine(new Main());
        for (Object command : extra) {
            // A CommandLine of its own applies the command's model transformer, which addSubcommand would skip.
            cli.addSubcommand(command instanceof CommandLine line ? line : new CommandLine(command));
        }
        cli.addSubcommand(new CommandLine.HelpCommand());
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setExecutionStrategy(parsed -> {
            applyThreads(parsed);
            return new CommandLine.RunLast().execute(parsed);
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("lazyattn " + commandLine.getCommandName() + ": " + Errors.describe(e));
            if (Boolean.getBoolean("lazyattention.stacktrace")) {
                e.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        return cli;
    }

    /**
     * Fixes libtorch's intra-op threads from the command's {@code --threads} before the command runs (and
     * before anything starts the engine); nothing for help, version, or a command without the option.
     */
    static void applyThreads(CommandLine.ParseResult parsed) {
        CommandLine.ParseResult last = parsed;
        while (true) {
            if (last.isUsageHelpRequested() || last.isVersionHelpRequested()) {
                return;
            }
            if (!last.hasSubcommand()) {
                break;
            }
            last = last.subcommand();
        }
        for (CommandLine.Model.CommandSpec mixin : last.commandSpec().mixins().values()) {
            if (mixin.userObject() instanceof ThreadsOption) {
                try {
                    ((ThreadsOption) mixin.userObject()).apply();
                } catch (RuntimeException e) {
                    throw new CommandLine.ExecutionException(last.commandSpec().commandLine(), e.getMessage(), e);
                }
            }
        }
    }

    /**
     * A usage error: picocli's message, then for an unknown option the closest option of the command (the same
     * "closest name" as every front end uses), else picocli's own suggestions or the usage.
     */
    static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        String unknown = e instanceof CommandLine.MissingParameterException ? unknownOption(command) : null;
        if (unknown != null) {
            // A misspelt required option is reported as missing by picocli; the misspelling is what to fix.
            err.println("Unknown option: '" + unknown + "' (" + e.getMessage() + ")");
            err.println("Did you mean " + closest(command, unknown) + "? ('lazyattn " + command.getCommandName()
                    + " --help' lists every option.)");
            return command.getCommandSpec().exitCodeOnInvalidInput();
        }
        err.println(e.getMessage());
        String closest = closestOption(e);
        if (closest != null) {
            err.println("Did you mean " + closest + "? ('lazyattn " + command.getCommandName()
                    + " --help' lists every option.)");
        } else if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            command.usage(err);
        }
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** For an unknown {@code --option}, the command's option closest to it; else null. */
    static String closestOption(CommandLine.ParameterException e) {
        if (!(e instanceof CommandLine.UnmatchedArgumentException)) {
            return null;
        }
        for (String arg : ((CommandLine.UnmatchedArgumentException) e).getUnmatched()) {
            if (arg.startsWith("-") && !arg.equals(TextInputs.STANDARD_INPUT)) {
                return closest(e.getCommandLine(), optionName(arg));
            }
        }
        return null;
    }

    /** The option of {@code command} closest to {@code name}, or null when it has none. */
    private static String closest(CommandLine command, String name) {
        List<String> names = new ArrayList<>();
        for (CommandLine.Model.OptionSpec o : command.getCommandSpec().options()) {
            names.addAll(Arrays.asList(o.names()));
        }
        return names.isEmpty() ? null : ClosestName.closest(name, names);
    }

    private static String optionName(String arg) {
        return arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
    }

    /**
     * The first argument that looks like an option but is none of {@code command}'s (picocli reports a missing
     * required option before an unknown one, so {@code --modle} would only say that {@code --model} is
     * missing); null when there is none.
     */
    static String unknownOption(CommandLine command) {
        // picocli keeps the arguments it matched to nothing, option values excluded.
        for (String arg : command.getUnmatchedArguments()) {
            if (arg.startsWith("-") && !arg.equals(TextInputs.STANDARD_INPUT) && !arg.matches("-[0-9.].*")
                    && closest(command, optionName(arg)) != null) {
                return optionName(arg);
            }
        }
        return null;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"lazyattn " + (v == null ? "development build" : v)};
        }
    }
}

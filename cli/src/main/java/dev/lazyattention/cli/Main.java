package dev.lazyattention.cli;

import dev.lazyattention.lm.DjlSetup;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code lazyattn} command. */
@Command(
        name = "lazyattn",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Train, evaluate and run Lazy Attention language models (arXiv 2601.00919) on the JVM.",
        subcommands = {
            TrainCommand.class,
            EvalCommand.class,
            GenerateCommand.class,
            ChooseCommand.class,
            InspectCommand.class,
            DemoCommand.class,
            CheckDeviceCommand.class,
            ExperimentCommand.class,
            AnnotateCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
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
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("lazyattn " + commandLine.getCommandName() + ": " + Errors.describe(e));
            if (Boolean.getBoolean("lazyattention.stacktrace")) {
                e.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        return cli.execute(args);
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

package dev.lazyattention.lab;

import dev.lazyattention.cli.Main;
import dev.lazyattention.lab.bench.BenchCommand;
import dev.lazyattention.lab.experiment.ExperimentCommand;
import dev.lazyattention.engine.DjlSetup;

/**
 * The {@code lazyattn} command with the lab's commands added: every command of {@link Main}, then
 * {@code experiment} and {@code bench}. The {@code lazyattn} script runs this class, so users see one command;
 * the cli module itself holds no benchmark or experiment code.
 */
public final class LabMain {

    private LabMain() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (0 success, 1 failure, 2 usage error). */
    public static int run(String... args) {
        DjlSetup.offline();
        return Main.commandLine(ExperimentCommand.class, BenchCommand.class).execute(args);
    }
}

package dev.lazyattention.lab;

import dev.lazyattention.cli.CommandRun;

/** Runs {@code lazyattn} with the lab's commands ({@link LabMain}) in this JVM, with empty standard input. */
public final class LabRun {

    private LabRun() {}

    public static CommandRun of(String... args) {
        return CommandRun.of(LabMain::run, new byte[0], args);
    }
}

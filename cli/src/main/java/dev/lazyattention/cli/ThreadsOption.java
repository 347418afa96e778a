package dev.lazyattention.cli;

import dev.lazyattention.engine.EngineThreads;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --threads N}, shared by every command that runs a model: libtorch's intra-op threads, fixed for the
 * command by {@link Main} before the command starts the engine (see {@link EngineThreads}).
 */
public final class ThreadsOption {

    public static final String NAME = "--threads";

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /** The count given, or null for the default rule. */
    Integer threads;

    @Option(names = NAME, paramLabel = "N",
            description = {"Threads libtorch may use in one operation (default: one per core; a "
                    + "-Dai.djl.pytorch.num_threads or OMP_NUM_THREADS you set wins). Use fewer when other "
                    + "programs keep the cores busy."})
    void setThreads(String text) {
        try {
            threads = EngineThreads.parse(text, NAME);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(mixee.commandLine(), e.getMessage());
        }
    }

    /** Fixes libtorch's count for this JVM: the value given, else one thread per core for this one caller. */
    EngineThreads.Decision apply() {
        return EngineThreads.apply(threads, 1, NAME);
    }
}

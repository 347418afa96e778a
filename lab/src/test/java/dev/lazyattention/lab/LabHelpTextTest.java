package dev.lazyattention.lab;

import dev.lazyattention.cli.HelpTextTest;
import dev.lazyattention.cli.Main;
import dev.lazyattention.lab.bench.BenchCommand;
import dev.lazyattention.lab.experiment.ExperimentCommand;
import picocli.CommandLine;

/** The help checks of the product's commands, on the command line that {@link LabMain} builds. */
class LabHelpTextTest extends HelpTextTest {

    @Override
    protected CommandLine commandLine() {
        return Main.commandLine(ExperimentCommand.class, BenchCommand.class);
    }
}

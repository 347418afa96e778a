package dev.lazyattention.examples.djl;

import dev.lazyattention.engine.DjlSetup;

import java.nio.file.Path;

/** Runs both parts: the block inside a DJL network, then a language model through DJL's Criteria. */
public final class DjlBlockExample {

    private DjlBlockExample() {}

    public static void main(String[] args) throws Exception {
        // Before anything loads the engine: no usage report, no download (libtorch comes from the native jar).
        // Values given with -D or as environment variables (OPT_OUT_TRACKING, DJL_OFFLINE) win.
        DjlSetup.offline();
        // The example's tensors are tiny: one libtorch thread is faster than one per core, above all on a busy
        // machine. -Dai.djl.pytorch.num_threads=N overrides it; drop this line for models of useful size.
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        SequenceClassifier.run();
        LanguageModelExample.run(Path.of(args.length > 0 ? args[0] : "target"));
    }
}

package dev.lazyattention.cli;

import ai.djl.Device;
import dev.lazyattention.lm.LazyLanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code lazyattn import}. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Read a model folder in Hugging Face's layout (exported here, or written by PyTorch: "
                + "model_type lazy_attention or llama) and save it as one .lazylm.zip.")
final class ImportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "DIR", description = "The model folder.")
    Path folder;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The .lazylm.zip to write.")
    Path out;

    @Option(names = "--language", paramLabel = "CODE", defaultValue = "und",
            description = "Language code for the model file's manifest (default: ${DEFAULT-VALUE}).")
    String language;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        try (LazyLanguageModel lm = LazyLanguageModel.load(folder, Device.cpu())) {
            lm.save(out, language);
            System.out.printf(Locale.ROOT, "wrote %s (%s, %,d parameters) in %.2f s%n", out, lm.config(),
                    lm.parameterCount(), (System.nanoTime() - start) / 1e9);
        }
        return 0;
    }
}

package dev.lazyattention.cli;

import dev.lazyattention.generate.Generation;
import dev.lazyattention.generate.GenerationOptions;
import dev.lazyattention.generate.Generator;
import dev.lazyattention.lm.LazyLanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code lazyattn generate}. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Continue a prompt (greedy or sampled) with a KV cache.",
            "Past the context length the window slides: the last 3/4 of a context of tokens are re-encoded from"
                    + " position 0."})
final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "FILE|DIR",
            description = "A .lazylm.zip model file, or a model folder in Hugging Face's layout.")
    Path modelFile;

    @Option(names = "--prompt", defaultValue = "", paramLabel = "TEXT", description = "Text to continue (default: start a new document).")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "100", paramLabel = "N", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", paramLabel = "X", description = "0 for greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "50", paramLabel = "N", description = "0 for no top-k filter (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", paramLabel = "X", description = "Nucleus mass (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-n", "--samples"}, defaultValue = "1", paramLabel = "N", description = "Number of continuations (seeds seed, seed+1, ...).")
    int samples;

    @Option(names = "--no-stop", description = "Do not stop at <|endoftext|>.")
    boolean noStop;

    @Option(names = "--engine-only",
            description = "Run every decoding step through the engine instead of the Java array decoder.")
    boolean engineOnly;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Override
    public Integer call() throws Exception {
        try (LazyLanguageModel lm = LazyLanguageModel.load(modelFile, device.resolve())) {
            Generator generator = new Generator(lm);
            for (int i = 0; i < samples; i++) {
                GenerationOptions options = new GenerationOptions(maxTokens, temperature, topK, topP, seed + i,
                        !noStop, true, false, engineOnly);
                Generation g = generator.generate(prompt, options);
                if (samples > 1) {
                    System.out.println("--- sample " + (i + 1));
                }
                System.out.println(prompt + g.text());
            }
        }
        return 0;
    }
}

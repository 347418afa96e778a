package dev.lazyattention.cli;

import dev.lazyattention.eval.CorpusEvaluator;
import dev.lazyattention.eval.EvalResult;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code lazyattn eval}. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score text files: loss, perplexity, bits per byte, attention diagnostics.",
            "Diagnostics: sparsity (overall and per layer), sinkMass, sinkRate, survivingMass.",
            "Collapse per layer: meanCosine, effectiveRank (and of the final normalised state).",
            "Long documents are scored in sliding windows; nothing is truncated."})
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "FILE|DIR",
            description = "A .lazylm.zip model file, or a model folder in Hugging Face's layout.")
    Path modelFile;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Text files (.txt or .txt.gz); - reads standard input.")
    List<Path> files;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--window", paramLabel = "N", description = "Window length (default: the context length).")
    Integer window;

    @Option(names = "--stride", paramLabel = "N", description = "Window stride (default: half the window).")
    Integer stride;

    @Option(names = "--batch-size", defaultValue = "8", paramLabel = "N", description = "Windows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--no-attention-stats", description = "Skip the attention and collapse diagnostics (faster).")
    boolean noAttentionStats;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Override
    public Integer call() throws Exception {
        TextCorpus corpus = TextInputs.corpus(TextInputs.files(spec, files, null, null, true, "text"), System.in);
        try (LazyLanguageModel lm = LazyLanguageModel.load(modelFile, device.resolve())) {
            int w = window == null ? lm.config().contextLength() : window;
            ScoringOptions options = new ScoringOptions(w, stride == null ? Math.max(1, w / 2) : stride, batchSize,
                    !noAttentionStats, 0).withCollapse(!noAttentionStats);
            EvalResult result = new CorpusEvaluator(lm, options).evaluate(corpus);
            Map<String, Object> m = result.toMap();
            if (json) {
                System.out.println(Json.of(m));
            } else {
                System.out.printf(Locale.ROOT, "%s on %s (%,d tokens, %,d bytes)%n", modelFile, corpus.description(),
                        result.tokens(), result.bytes());
                System.out.printf(Locale.ROOT, "  loss          %.4f nats/token%n", result.loss());
                System.out.printf(Locale.ROOT, "  perplexity    %.2f%n", result.perplexity());
                System.out.printf(Locale.ROOT, "  bitsPerByte   %.4f%n", result.bitsPerByte());
                if (result.attention() != null) {
                    System.out.printf(Locale.ROOT, "  sparsity      %.4f  per layer %s%n", result.attention().sparsity(),
                            format(result.attention().sparsityPerLayer()));
                    System.out.printf(Locale.ROOT, "  sinkMass      %.4f%n", result.attention().sinkMass());
                    System.out.printf(Locale.ROOT, "  sinkRate      %.4f%n", result.attention().sinkRate());
                    System.out.printf(Locale.ROOT, "  survivingMass %.4f%n", result.attention().survivingMass());
                }
                if (result.collapse() != null) {
                    System.out.printf(Locale.ROOT, "  meanCosine    per layer %s  final %.3f%n",
                            format(result.collapse().meanCosinePerLayer()), result.collapse().meanCosineFinal());
                    System.out.printf(Locale.ROOT, "  effectiveRank per layer %s  final %.3f%n",
                            format(result.collapse().effectiveRankPerLayer()), result.collapse().effectiveRankFinal());
                }
            }
        }
        return 0;
    }

    static String format(double[] values) {
        return Arrays.toString(Arrays.stream(values).mapToObj(v -> String.format(Locale.ROOT, "%.3f", v)).toArray());
    }
}

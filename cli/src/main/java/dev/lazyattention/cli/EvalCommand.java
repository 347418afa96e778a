package dev.lazyattention.cli;

import dev.lazyattention.eval.CorpusEvaluator;
import dev.lazyattention.eval.EvalResult;
import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.SettingOptions;
import dev.lazyattention.settings.SettingTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
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
@Command(name = "eval", mixinStandardHelpOptions = true, modelTransformer = EvalCommand.Settings.class,
        description = {"Score text files: loss, perplexity, bits per byte, attention diagnostics.",
            "Diagnostics: sparsity (overall and per layer), sinkMass, sinkRate, survivingMass.",
            "Collapse per layer: meanCosine, effectiveRank (and of the final normalised state).",
            "Long documents are scored in sliding windows; nothing is truncated."})
final class EvalCommand implements Callable<Integer> {

    /** Adds an option for the scoring settings eval takes besides --device and --threads. */
    static final class Settings implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            return SettingOptions.addTo(spec, FrontEnd.CLI, defaults(), List.of(ScoringConfig.MODEL,
                    ScoringConfig.WINDOW, ScoringConfig.STRIDE, ScoringConfig.BATCH_SIZE,
                    ScoringConfig.ATTENTION_STATS));
        }
    }

    /** Eval's defaults: the scoring table's, with the attention and collapse diagnostics on. */
    static SettingTable<ScoringConfig>.Builder defaults() {
        return ScoringConfig.SETTINGS.builder().set(ScoringConfig.ATTENTION_STATS, true);
    }

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Text files (.txt or .txt.gz); - reads standard input.")
    List<Path> files;

    @picocli.CommandLine.Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Override
    public Integer call() throws Exception {
        TextCorpus corpus = TextInputs.corpus(TextInputs.files(spec, files, null, null, true, "text"), System.in);
        ScoringConfig config = SettingOptions.read(spec, FrontEnd.CLI, defaults());
        Path modelFile = Path.of(config.model());
        try (LazyLanguageModel lm = LazyLanguageModel.load(modelFile, device.resolve())) {
            ScoringOptions options = config.options(lm.config().contextLength(), "--window")
                    .withCollapse(config.attentionStats());
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

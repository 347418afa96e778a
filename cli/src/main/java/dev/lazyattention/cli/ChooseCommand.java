package dev.lazyattention.cli;

import dev.lazyattention.eval.MultipleChoice;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.lm.LazyLanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code lazyattn choose}. */
@Command(name = "choose", mixinStandardHelpOptions = true,
        description = {"Multiple-choice accuracy (acc, acc_norm) the lm-evaluation-harness way.",
            "Items: JSON lines {\"goal\",\"sol1\",\"sol2\"} (PIQA) or {\"context\",\"choices\":[...]}, with"
                    + " \"label\" or a --labels file of one integer per line."})
final class ChooseCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "FILE|DIR",
            description = "A .lazylm.zip model file, or a model folder in Hugging Face's layout.")
    Path modelFile;

    @Option(names = "--items", required = true, paramLabel = "FILE", description = "JSON-lines items (.jsonl or .jsonl.gz).")
    Path items;

    @Option(names = "--labels", paramLabel = "FILE", description = "One label per line.")
    Path labels;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Override
    public Integer call() throws Exception {
        List<MultipleChoice.Item> list = MultipleChoice.read(items, labels);
        try (LazyLanguageModel lm = LazyLanguageModel.load(modelFile, device.resolve())) {
            MultipleChoice.Result r = MultipleChoice.evaluate(lm, list,
                    ScoringOptions.defaults(lm.config().contextLength()));
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("items", r.items());
                m.put("acc", r.acc());
                m.put("acc_norm", r.accNorm());
                System.out.println(Json.of(m));
            } else {
                System.out.printf(Locale.ROOT, "%d items: acc %.4f, acc_norm %.4f (chance with 2 choices: 0.5)%n",
                        r.items(), r.acc(), r.accNorm());
            }
        }
        return 0;
    }
}

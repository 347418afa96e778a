package dev.lazyattention.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.lazyattention.attention.LazyAttentionBlock;
import dev.lazyattention.model.DecoderLayer;
import dev.lazyattention.lm.LazyLanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code lazyattn inspect}. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's configuration, parameter count and the learned tau per layer and head.")
final class InspectCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "FILE|DIR",
            description = "A .lazylm.zip model file, or a model folder in Hugging Face's layout.")
    Path modelFile;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Override
    public Integer call() throws Exception {
        try (LazyLanguageModel lm = LazyLanguageModel.load(modelFile, device.resolve())) {
            List<float[]> taus = new ArrayList<>();
            for (DecoderLayer layer : lm.block().layers()) {
                LazyAttentionBlock attention = layer.attention();
                Parameter tau = attention.tau();
                taus.add(tau == null ? null : ((NDArray) tau.getArray()).toFloatArray());
            }
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("config", com.google.gson.JsonParser.parseString(lm.config().toJson()));
                m.put("parameters", lm.parameterCount());
                m.put("tokenizerVocabulary", lm.tokenizer().vocabSize());
                m.put("tau", taus);
                System.out.println(Json.of(m));
                return 0;
            }
            System.out.println(modelFile);
            System.out.println("  " + lm.config());
            System.out.printf(Locale.ROOT, "  parameters  %,d%n", lm.parameterCount());
            System.out.printf(Locale.ROOT, "  tokenizer   byte-level BPE, %d tokens%n", lm.tokenizer().vocabSize());
            for (int l = 0; l < taus.size(); l++) {
                float[] tau = taus.get(l);
                StringBuilder sb = new StringBuilder();
                if (tau == null) {
                    sb.append("(no Elastic-Softmax in this variant)");
                } else {
                    for (float t : tau) {
                        sb.append(String.format(Locale.ROOT, "%7.3f", t));
                    }
                }
                System.out.printf(Locale.ROOT, "  tau layer %-2d%s%n", l, sb);
            }
        }
        return 0;
    }
}

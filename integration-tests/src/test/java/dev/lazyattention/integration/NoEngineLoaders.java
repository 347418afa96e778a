package dev.lazyattention.integration;

import ai.djl.Device;
import dev.lazyattention.corenlp.LazyLmAnnotator;
import dev.lazyattention.serving.LazyLmCriteria;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.opennlp.LazyAttentionModel;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * The child of {@link EveryLoaderNamesTheMissingEngineTest}: loads one model file through each loader, on a
 * class path without an engine, and prints one line per loader: {@code LOADER name, the classes of the
 * exception's cause chain, its message} (tab-separated), or {@code LOADER name loaded}.
 */
public final class NoEngineLoaders {

    private NoEngineLoaders() {}

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        report("LazyLanguageModel.load", () -> LazyLanguageModel.load(file, Device.cpu()));
        report("LazyLmCriteria", () -> LazyLmCriteria.builder(file).setTypes(String.class, Float.class)
                .optDevice(Device.cpu()).build().loadModel());
        report("CoreNLP", () -> coreNlp(file, "auto"));
        report("CoreNLP lazylm.device=gpu", () -> coreNlp(file, "gpu"));
        report("OpenNLP", () -> new LazyAttentionModel(file).languageModel());
    }

    private static StanfordCoreNLP coreNlp(Path file, String device) {
        Properties props = new Properties();
        props.setProperty("annotators", "tokenize,ssplit,lazylm");
        props.setProperty("customAnnotatorClass.lazylm", LazyLmAnnotator.class.getName());
        props.setProperty("lazylm.model", file.toString());
        props.setProperty("lazylm.device", device);
        return new StanfordCoreNLP(props);
    }

    private static void report(String loader, Callable<?> load) {
        try {
            load.call();
            System.out.println("LOADER\t" + loader + "\tloaded");
        } catch (Exception e) {
            StringBuilder chain = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                chain.append(chain.length() == 0 ? "" : " ").append(t.getClass().getName());
            }
            System.out.println("LOADER\t" + loader + "\t" + chain + "\t" + e.getMessage());
        }
    }
}

package dev.lazyattention.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.Utils;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.corenlp.LazyLmAnnotator;
import dev.lazyattention.serving.LazyLmCriteria;
import dev.lazyattention.modelfile.ModelFileException;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.opennlp.LazyAttentionModel;
import dev.lazyattention.testing.HostileModelFiles;
import dev.lazyattention.testing.TinyModels;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same hostile model files, and the same hostile model folders, given to the four loaders (the library,
 * DJL's Criteria, a CoreNLP pipeline, OpenNLP): each refuses each with the library's message, and nothing is
 * unpacked for DJL.
 */
class EveryLoaderRefusesTheSameFilesTest {

    @TempDir
    Path dir;

    @Test
    void everyLoaderRefusesEveryHostileFileWithTheSameMessage() throws Exception {
        Path good = dir.resolve("good.lazylm.zip");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 3)) {
            lm.save(good);
        }
        Path djlFolders = Utils.getCacheDir().resolve("lazylm");
        List<Path> before = folders(djlFolders);

        assertEveryLoaderRefuses(HostileModelFiles.from(good, dir));
        assertEquals(before, folders(djlFolders), "nothing was unpacked for DJL");
    }

    /** The same for model folders in Hugging Face's layout: each loader reads them through the same reader. */
    @Test
    void everyLoaderRefusesEveryHostileFolderWithTheSameMessage() throws Exception {
        Path good = dir.resolve("good");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 3)) {
            lm.exportFolder(good, DataType.FLOAT32);
        }
        Path djlFolders = Utils.getCacheDir().resolve("lazylm");
        List<Path> before = folders(djlFolders);
        assertEveryLoaderRefuses(HostileModelFiles.folders(good, dir));
        assertEquals(before, folders(djlFolders), "nothing was unpacked for DJL");
    }

    private static void assertEveryLoaderRefuses(Map<String, Path> cases) throws Exception {
        for (Map.Entry<String, Path> c : cases.entrySet()) {
            Path file = c.getValue();
            String expected = assertThrows(ModelFileException.class,
                    () -> LazyLanguageModel.load(file, Device.cpu()), c.getKey()).getMessage();
            assertTrue(expected.startsWith(file.toString()), expected);

            Exception djl = assertThrows(ModelFileException.class, () -> LazyLmCriteria.builder(file)
                    .setTypes(String.class, Float.class).optDevice(Device.cpu()).build().loadModel(), c.getKey());
            assertEquals(expected, djl.getMessage(), "DJL Criteria, " + c.getKey());

            Properties props = new Properties();
            props.setProperty("annotators", "tokenize,ssplit,lazylm");
            props.setProperty("customAnnotatorClass.lazylm", LazyLmAnnotator.class.getName());
            props.setProperty("lazylm.model", file.toString());
            props.setProperty("lazylm.device", "cpu");
            Exception coreNlp = assertThrows(RuntimeException.class, () -> new StanfordCoreNLP(props), c.getKey());
            assertTrue(messages(coreNlp).contains(expected), "CoreNLP, " + c.getKey() + ": " + messages(coreNlp));

            Exception openNlp = assertThrows(IOException.class, () -> new LazyAttentionModel(file), c.getKey());
            assertTrue(messages(openNlp).contains(expected), "OpenNLP, " + c.getKey() + ": " + messages(openNlp));
        }
    }

    /** Every message of the cause chain, one per line. */
    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable x = t; x != null; x = x.getCause()) {
            sb.append(x.getMessage()).append('\n');
        }
        return sb.toString();
    }

    private static List<Path> folders(Path parent) throws IOException {
        if (!Files.isDirectory(parent)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(parent)) {
            return new ArrayList<>(list.sorted().toList());
        }
    }
}

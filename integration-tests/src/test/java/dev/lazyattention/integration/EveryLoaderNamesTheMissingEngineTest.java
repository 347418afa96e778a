package dev.lazyattention.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.modelfile.ModelFileException;
import dev.lazyattention.testing.TinyModels;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A good model file loaded on a class path without the engine (this test's class path less the {@code
 * ai.djl.pytorch} jars, in a child JVM: {@link NoEngineLoaders}): the library, DJL's Criteria, a CoreNLP
 * pipeline (device auto, and gpu) and OpenNLP each refuse it with the same message, which names the PyTorch
 * engine, the coordinates of the three jars that were left out and the README's section, and blames no file.
 * (Spark's job gives the same line: spark-scoring's ReadmeSparkSubmitTest.) One child JVM, about 3 s, so it
 * stays in the default suite.
 */
class EveryLoaderNamesTheMissingEngineTest {

    private static final String ENGINE_GROUP = "/ai/djl/pytorch/";

    @TempDir
    Path dir;

    @Test
    void everyLoaderSaysTheEngineIsMissingAndWhatToAdd() throws Exception {
        Path file = dir.resolve("good.lazylm.zip");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 3)) {
            lm.save(file);
        }
        List<String> classPath = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
        List<String> engine = classPath.stream().filter(e -> e.replace(File.separatorChar, '/').contains(ENGINE_GROUP))
                .toList();
        assertEquals(3, engine.size(), "pytorch-engine, pytorch-jni and pytorch-native-cpu: " + classPath);

        ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
                "-cp", String.join(File.pathSeparator, classPath.stream().filter(e -> !engine.contains(e)).toList()),
                NoEngineLoaders.class.getName(), file.toString()).redirectErrorStream(true);
        Process child = pb.start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, child.exitValue(), out);

        Map<String, String[]> loaders = new LinkedHashMap<>(); // loader -> [cause chain, message]
        out.lines().filter(l -> l.startsWith("LOADER\t")).map(l -> l.split("\t", 4))
                .forEach(f -> loaders.put(f[1], Arrays.copyOfRange(f, 2, f.length)));
        assertEquals(List.of("LazyLanguageModel.load", "LazyLmCriteria", "CoreNLP", "CoreNLP lazylm.device=gpu",
                "OpenNLP"),
                List.copyOf(loaders.keySet()), out);

        String message = loaders.get("LazyLanguageModel.load")[1];
        assertTrue(message.startsWith("No PyTorch engine on the class path"), message);
        for (String jar : engine) { // each jar left out, by its coordinates: ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0
            Path version = Path.of(jar).getParent();
            String coordinates = "ai.djl.pytorch:" + version.getParent().getFileName() + ":" + version.getFileName();
            assertTrue(message.contains(coordinates), coordinates + " in " + message);
        }
        assertTrue(message.contains("section \"The engine\""), message);
        assertTrue(Files.readAllLines(ReadmeSnippetsTest.root().resolve("README.md")).contains("### The engine"),
                "README.md has the section the message names");
        assertTrue(message.contains("lazyattention-lm/README.md, \"Devices and CUDA\""), message);
        assertTrue(Files.readAllLines(ReadmeSnippetsTest.root().resolve("lazyattention-lm/README.md"))
                .contains("### Devices and CUDA"), "lazyattention-lm/README.md has the section the message names");
        assertTrue(message.contains("spark-scoring/README.md, \"Run with spark-submit\""), message);
        assertTrue(Files.readAllLines(ReadmeSnippetsTest.root().resolve("spark-scoring/README.md"))
                .contains("## Run with spark-submit"), "spark-scoring/README.md has the section the message names");
        for (Map.Entry<String, String[]> loader : loaders.entrySet()) {
            assertEquals(2, loader.getValue().length, loader.getKey() + " loaded without an engine: " + out);
            assertEquals(message, loader.getValue()[1], loader.getKey());
            assertFalse(loader.getValue()[0].contains(ModelFileException.class.getName()),
                    loader.getKey() + " blames the file: " + loader.getValue()[0]);
        }
    }
}

package dev.lazyattention.opennlp;

import ai.djl.Device;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelFileFormat;
import dev.lazyattention.testing.SyntheticCorpus;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.train.LmTrainer;
import dev.lazyattention.settings.Setting;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.train.TrainConfig;
import dev.lazyattention.train.TrainedModel;
import dev.lazyattention.train.TrainingRecipe;
import opennlp.tools.util.ObjectStream;
import opennlp.tools.util.ObjectStreamUtils;
import opennlp.tools.util.TrainingParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingTest {

    @TempDir
    Path dir;

    /** A tiny, quick configuration. */
    private TrainingParameters tiny(int steps) {
        TrainingParameters p = new TrainingParameters();
        p.put(OpenNlpTrainingParameters.ITERATIONS, steps);
        p.put("lazylm.preset", "tiny");
        p.put("lazylm.contextLength", 32);
        p.put("lazylm.vocabSize", 320);
        p.put("lazylm.batchSize", 8);
        p.put("lazylm.gradAccum", 1);
        p.put("lazylm.learningRate", 3e-3);
        p.put("lazylm.warmupSteps", 5);
        p.put("lazylm.seed", 7);
        p.put("lazylm.device", "cpu");
        return p;
    }

    @Test
    void trainingFromAnObjectStreamLearnsTheText() throws IOException {
        TrainingParameters params = tiny(40);
        Path out = dir.resolve("run");
        params.put(OpenNlpTrainingParameters.OUTPUT_DIR, out.toString());
        String heldOut = String.join(" ", SyntheticCorpus.documents(3, 99));
        try (ObjectStream<String> documents = ObjectStreamUtils.createObjectStream(SyntheticCorpus.documents(300, 4));
                LazyAttentionModel model = LazyAttentionModel.train("en", documents, params)) {
            assertEquals("en", model.getLanguage());
            LazyLanguageModel trained = model.languageModel();
            assertEquals(32, trained.config().contextLength());
            assertTrue(trained.tokenizer().vocabSize() <= 320);
            double after = new LazyAttentionLanguageModel(model).textLogProbability(heldOut);

            // The same architecture, tokenizer and seed, untrained.
            try (LazyLanguageModel untrained = LazyLanguageModel.create(trained.config(), trained.tokenizer(),
                    Device.cpu(), 7)) {
                double before = TestModels.referenceLogProbability(untrained, heldOut);
                int pieces = trained.tokenizer().encode(heldOut).length;
                assertTrue((after - before) / pieces > 1.0,
                        "per-piece log-probability " + before / pieces + " -> " + after / pieces);
            }
            // The trainer's own files are in the output folder, and its model file is this model.
            assertTrue(Files.exists(out.resolve(LmTrainer.METRICS_FILE)));
            try (LazyLanguageModel written = LazyLanguageModel.load(out.resolve(LmTrainer.MODEL_FILE), Device.cpu())) {
                assertEquals(after, TestModels.referenceLogProbability(written, heldOut), 1e-4);
            }
        }
    }

    @Test
    void theDefaultOutputFolderIsTemporaryAndRemoved() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        List<Path> before = trainingFolders(tmp);
        try (LazyAttentionModel model = LazyAttentionModel.train("und", ObjectStreamUtils.createObjectStream(
                SyntheticCorpus.documents(60, 8)), tiny(2))) {
            assertEquals("und", model.getLanguage());
        }
        assertEquals(before, trainingFolders(tmp));
    }

    private static List<Path> trainingFolders(Path tmp) throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            return files.filter(p -> p.getFileName().toString().startsWith("lazylm-opennlp-train-")).sorted().toList();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Iterations|0",
        "Iterations|many",
        "lazylm.preset|huge",
        "lazylm.attention|sparse",
        "lazylm.vocabSize|100",
        "lazylm.contextLength|1",
        "lazylm.contextLength|99999999",
        "lazylm.seed|x",
        "lazylm.learningRate|-1",
        "lazylm.learningRate|fast",
        "lazylm.batchSize|0",
        "lazylm.gradAccum|two",
        "lazylm.warmupSteps|-3",
        "lazylm.device|tpu",
        "lazylm.progress|maybe",
        "lazylm.preset|' '",
        "lazylm.vocabulary|512"})
    void aBadParameterIsNamedBeforeAnyDocumentIsRead(String name, String value) {
        TrainingParameters params = tiny(2);
        params.put(name, value);
        ObjectStream<String> untouchable = () -> {
            throw new AssertionError("documents were read before the parameters were checked");
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LazyAttentionModel.train("en", untouchable, params));
        assertTrue(e.getMessage().contains(name), e.getMessage());
    }

    @Test
    void anOutputDirThatIsAFileIsRefused() throws IOException {
        File file = Files.createFile(dir.resolve("taken")).toFile();
        TrainingParameters params = tiny(2);
        params.put(OpenNlpTrainingParameters.OUTPUT_DIR, file.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LazyAttentionModel.train("en", ObjectStreamUtils.createObjectStream("text"), params));
        assertTrue(e.getMessage().contains(OpenNlpTrainingParameters.OUTPUT_DIR), e.getMessage());
    }

    @Test
    void missingLanguageDocumentsOrTextAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> LazyAttentionModel.train(null, ObjectStreamUtils.createObjectStream("a b c"), tiny(2)));
        assertThrows(IllegalArgumentException.class,
                () -> LazyAttentionModel.train(" ", ObjectStreamUtils.createObjectStream("a b c"), tiny(2)));
        assertThrows(IllegalArgumentException.class, () -> LazyAttentionModel.train("en", null, tiny(2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LazyAttentionModel.train("en", ObjectStreamUtils.createObjectStream(" ", "\n"), tiny(2)));
        assertTrue(e.getMessage().contains("no text"), e.getMessage());
    }

    @Test
    void theStepsAreOpenNlpsOwnIterationsParameter() {
        assertEquals(TrainingParameters.ITERATIONS_PARAM, OpenNlpTrainingParameters.ITERATIONS);
        assertEquals(List.of(TrainingParameters.ITERATIONS_PARAM, OpenNlpTrainingParameters.NAMESPACE + ".steps"),
                TrainConfig.SETTINGS.names(FrontEnd.OPENNLP, TrainConfig.STEPS));
        assertEquals(OpenNlpTrainingParameters.NAMESPACE + ".seed",
                TrainConfig.SETTINGS.name(FrontEnd.OPENNLP, TrainConfig.SEED));
    }

    @Test
    void defaultsFollowThePresetAndOpenNlpsIterations() {
        OpenNlpTrainingParameters defaults = OpenNlpTrainingParameters.from(null);
        assertEquals(1000, defaults.recipeSettings().steps());
        assertEquals(4096, defaults.recipeSettings().resolvedVocabSize()); // the small preset's
        TrainingParameters openNlpDefaults = TrainingParameters.defaultParams(); // Algorithm MAXENT, Iterations 100, ...
        assertEquals(100, OpenNlpTrainingParameters.from(openNlpDefaults).recipeSettings().steps());
    }

    @Test
    void theSameParametersTrainTheModelTheRecipeTrainsWhenCalledDirectly() throws IOException {
        TrainingParameters params = new TrainingParameters();
        TinyModels.recipeSettingsText(3).forEach((name, value) ->
                params.put(name.equals("steps") ? "Iterations" : "lazylm." + name, value));
        Path out = dir.resolve("opennlp");
        params.put(OpenNlpTrainingParameters.OUTPUT_DIR, out.toString());
        List<String> documents = SyntheticCorpus.documents(80, 6);
        byte[] weights;
        try (LazyAttentionModel model = LazyAttentionModel.train("en", ObjectStreamUtils.createObjectStream(documents),
                params)) {
            assertEquals("en", model.languageModel().language());
            weights = ModelFile.read(out.resolve(LmTrainer.MODEL_FILE)).get(ModelFileFormat.PARAMETERS);
        }
        try (TrainedModel direct = TrainingRecipe.of(TinyModels.recipeSettings(3).with(TrainConfig.LANGUAGE, "en"))
                .train(TextCorpus.of(documents, "documents"), null, dir.resolve("direct"))) {
            assertArrayEquals(ModelFile.read(direct.result().model()).get(ModelFileFormat.PARAMETERS), weights);
        }
    }

    @Test
    void aMisspeltParameterIsRefusedWithTheClosestKnownOne() {
        assertRefused("lazylm.lerningRate", "0.1", "did you mean lazylm.learningRate?");
        assertRefused("lazylm.warmup", "2", "did you mean lazylm.warmupSteps?");
        assertRefused("lazylm.weightdecay", "0.1", "did you mean lazylm.weightDecay?");
        assertRefused("Iteration", "2", "did you mean Iterations?");
    }

    private void assertRefused(String name, String value, String suggestion) {
        TrainingParameters params = tiny(2);
        params.put(name, value);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpenNlpTrainingParameters.from(params));
        assertTrue(e.getMessage().contains(name) && e.getMessage().contains(suggestion), e.getMessage());
    }

    @Test
    void everyDefaultIsTheConfigurationsOwnAndStepsHaveBothNames() {
        assertEquals(TrainConfig.DEFAULTS, OpenNlpTrainingParameters.from(null).recipeSettings());
        for (Setting<?> s : TrainConfig.SETTINGS) {
            List<String> expected = s.key().equals("steps") ? List.of("Iterations", "lazylm.steps")
                    : s.key().equals("language") ? List.of() : List.of("lazylm." + s.key());
            assertEquals(expected, TrainConfig.SETTINGS.names(FrontEnd.OPENNLP, s), s.key());
        }
        TrainingParameters named = new TrainingParameters();
        named.put("lazylm.progress", "false");
        named.put("lazylm.steps", "5");
        TrainConfig read = OpenNlpTrainingParameters.from(named).recipeSettings();
        assertFalse(read.resolvedProgress());
        assertEquals(5, read.steps());
        TrainingParameters both = new TrainingParameters();
        both.put("Iterations", 5);
        both.put("lazylm.steps", "6");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpenNlpTrainingParameters.from(both));
        assertTrue(e.getMessage().contains("Iterations") && e.getMessage().contains("lazylm.steps"), e.getMessage());
        TrainingParameters agreeing = new TrainingParameters();
        agreeing.put("Iterations", 5);
        agreeing.put("lazylm.steps", "5");
        assertEquals(5, OpenNlpTrainingParameters.from(agreeing).recipeSettings().steps());
        assertNull(OpenNlpTrainingParameters.from(null).outputDir());
    }
}

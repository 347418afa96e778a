package dev.lazyattention.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.lm.ModelEntries;
import dev.lazyattention.lm.ModelFile;
import dev.lazyattention.lm.ModelFileFormat;
import dev.lazyattention.testing.TinyModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Immutable options whose JSON stays readable by every checkpoint written before. */
class TrainOptionsTest {

    @TempDir
    Path dir;

    /** Written by the mutable options class for non-default values of every option. */
    private static final String OLD_JSON = "{\"steps\":12,\"batchSize\":8,\"gradientAccumulation\":2,"
            + "\"sequenceLength\":24,\"learningRate\":0.003,\"minLearningRate\":1.0E-4,\"warmupSteps\":5,"
            + "\"weightDecay\":0.05,\"beta1\":0.8,\"beta2\":0.99,\"epsilon\":1.0E-8,\"gradientClip\":0.5,\"seed\":7,"
            + "\"evalEvery\":0,\"evalWindows\":8,\"checkpointEvery\":3,\"logEvery\":1,\"progressBar\":false,"
            + "\"nonFinite\":\"SKIP\",\"validationAttentionStats\":true}";

    /** What the mutable class wrote for {@code TinyModels.quickOptions(3)}. */
    private static final String OLD_QUICK_3 = "{\"steps\":3,\"batchSize\":8,\"gradientAccumulation\":1,"
            + "\"sequenceLength\":-1,\"learningRate\":0.003,\"minLearningRate\":-1.0,\"warmupSteps\":5,"
            + "\"weightDecay\":0.1,\"beta1\":0.9,\"beta2\":0.95,\"epsilon\":1.0E-8,\"gradientClip\":1.0,\"seed\":7,"
            + "\"evalEvery\":0,\"evalWindows\":8,\"checkpointEvery\":0,\"logEvery\":1,\"progressBar\":false,"
            + "\"nonFinite\":\"STOP\",\"validationAttentionStats\":false}";

    @Test
    void theJsonOfTheEarlierMutableOptionsReadsBackFieldByField() {
        TrainOptions o = TrainOptions.fromJson(OLD_JSON);
        assertEquals(12, o.steps());
        assertEquals(8, o.batchSize());
        assertEquals(2, o.gradientAccumulation());
        assertEquals(24, o.sequenceLength());
        assertEquals(0.003f, o.learningRate());
        assertEquals(1e-4f, o.minLearningRate());
        assertEquals(5, o.warmupSteps());
        assertEquals(0.05f, o.weightDecay());
        assertEquals(0.8f, o.beta1());
        assertEquals(0.99f, o.beta2());
        assertEquals(1e-8f, o.epsilon());
        assertEquals(0.5f, o.gradientClip());
        assertEquals(7, o.seed());
        assertEquals(0, o.evalEvery());
        assertEquals(8, o.evalWindows());
        assertEquals(3, o.checkpointEvery());
        assertEquals(1, o.logEvery());
        assertFalse(o.progressBar());
        assertEquals(TrainOptions.NonFinitePolicy.SKIP, o.nonFinite());
        assertTrue(o.validationAttentionStats());
        assertEquals(JsonParser.parseString(OLD_JSON), JsonParser.parseString(o.toJson()), "written back alike");
        assertEquals(o, TrainOptions.fromJson(o.toJson()));
    }

    @Test
    void missingFieldsTakeTheirDefaultAndUnknownOnesAreIgnored() {
        TrainOptions o = TrainOptions.fromJson("{\"steps\":7,\"aFieldOfSomeLaterVersion\":1}");
        assertEquals(o, TrainOptions.builder().optSteps(7).optProgressBar(o.progressBar()).build());
        assertThrows(IllegalArgumentException.class, () -> TrainOptions.fromJson("null"));
        assertThrows(IllegalArgumentException.class, () -> TrainOptions.fromJson("{\"steps\":\"many\"}"));
        assertThrows(IllegalArgumentException.class, () -> TrainOptions.fromJson("{\"steps\":0}"));
    }

    @Test
    void optionsAreImmutableAndChangedThroughABuilder() {
        TrainOptions five = TinyModels.quickOptions(5).build();
        TrainOptions six = five.toBuilder().optSteps(6).build();
        assertEquals(5, five.steps());
        assertEquals(6, six.steps());
        assertEquals(five, six.toBuilder().optSteps(5).build());
    }

    @Test
    void aCheckpointWrittenWithTheEarlierOptionsResumes() throws IOException {
        Path out = dir.resolve("old");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            new LmTrainer(TinyModels.quickOptions(3).build(), out).train(lm, tokens(lm), null);
        }
        Path file = out.resolve(LmTrainer.CHECKPOINT_FILE);
        // Put the options in exactly as the earlier version wrote them.
        ModelEntries entries = ModelFile.read(file);
        JsonObject state = JsonParser.parseString(entries.text(ModelFileFormat.TRAINING_STATE)).getAsJsonObject();
        state.add("options", JsonParser.parseString(OLD_QUICK_3));
        Map<String, byte[]> copy = new LinkedHashMap<>();
        for (String name : entries.names()) {
            copy.put(name, entries.get(name));
        }
        copy.put(ModelFileFormat.TRAINING_STATE, state.toString().getBytes(StandardCharsets.UTF_8));
        ModelFile.write(file, ModelEntries.of(copy));

        byte[] continued;
        try (Checkpoint checkpoint = Checkpoint.load(file, Device.cpu())) {
            assertEquals(TinyModels.quickOptions(3).build(), checkpoint.options());
            LazyLanguageModel lm = checkpoint.model();
            TrainResult r = new LmTrainer(checkpoint.options().toBuilder().optSteps(5).build(), out)
                    .resume(checkpoint, tokens(lm), null);
            assertEquals(TrainResult.Outcome.TRAINED, r.outcome());
            assertEquals(5, r.steps());
            continued = ModelFile.read(r.model()).get(ModelFileFormat.PARAMETERS);
        }
        // The same five steps, resumed from a checkpoint of the current version, give the same weights.
        Path now = dir.resolve("now");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            new LmTrainer(TinyModels.quickOptions(3).build(), now).train(lm, tokens(lm), null);
        }
        try (Checkpoint checkpoint = Checkpoint.load(now.resolve(LmTrainer.CHECKPOINT_FILE), Device.cpu())) {
            TrainResult r = new LmTrainer(TinyModels.quickOptions(5).build(), now)
                    .resume(checkpoint, tokens(checkpoint.model()), null);
            assertArrayEquals(continued, ModelFile.read(r.model()).get(ModelFileFormat.PARAMETERS));
        }
    }

    @Test
    void closingACheckpointClosesItsModel() throws IOException {
        Path out = dir.resolve("close");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            new LmTrainer(TinyModels.quickOptions(1).build(), out).train(lm, tokens(lm), null);
        }
        Checkpoint checkpoint = Checkpoint.load(out.resolve(LmTrainer.CHECKPOINT_FILE), Device.cpu());
        assertFalse(checkpoint.model().isClosed());
        checkpoint.close();
        assertTrue(checkpoint.model().isClosed());
    }

    private static int[] tokens(LazyLanguageModel lm) {
        return TinyModels.trainCorpus().tokens(lm.tokenizer());
    }
}

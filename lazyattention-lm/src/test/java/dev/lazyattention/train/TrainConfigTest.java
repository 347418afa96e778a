package dev.lazyattention.train;

import static dev.lazyattention.train.TrainConfig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.Setting;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.names.ClosestName;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training configuration: one record, its checks, its defaults, its JSON. */
class TrainConfigTest {

    @TempDir
    Path dir;

    @Test
    void theTableListsEveryComponentOnceInOrderWithAKeyADefaultAndAMeaning() {
        List<String> components = Arrays.stream(TrainConfig.class.getRecordComponents())
                .map(RecordComponent::getName).toList();
        assertEquals(components, SETTINGS.settings().stream().map(Setting::name).toList());
        Set<String> keys = new HashSet<>();
        for (Setting<?> s : SETTINGS) {
            assertTrue(keys.add(s.key().toLowerCase(java.util.Locale.ROOT)), "one setting per key: " + s);
            assertTrue(s.key().matches("[a-z][a-zA-Z0-9]*"), s.key());
            assertFalse(s.meaning().isBlank(), s + " has a meaning");
            assertFalse(s.defaultText() == null || s.defaultText().isBlank(), s + " has a default");
            assertEquals(s.defaultValue(), SETTINGS.get(DEFAULTS, s), s + " holds its default");
            if (s.defaultValue() != null) {
                assertEquals(s.defaultValue(), s.parse(s.defaultText(), s.key()), "default written out reads back");
            }
        }
    }

    @Test
    void theDefaultsAreCommonPracticeForSmallDecoders() {
        TrainConfig d = DEFAULTS;
        assertEquals("small", d.preset());
        assertEquals(AttentionVariant.LAZY, d.attention());
        assertEquals(4096, d.resolvedVocabSize());
        assertEquals(1000, d.steps());
        assertEquals(4, d.batchSize());
        assertEquals(4, d.gradAccum());
        assertEquals(0.001f, d.learningRate());
        assertEquals(0.001f / 10, d.resolvedMinLearningRate());
        assertEquals(100, d.resolvedWarmupSteps(), "a tenth of the steps");
        assertEquals(200, d.with(STEPS, 5000).resolvedWarmupSteps(), "at most 200");
        assertEquals(256, d.resolvedSequenceLength(256));
        assertEquals(0.1f, d.weightDecay());
        assertEquals(0.9f, d.beta1());
        assertEquals(0.95f, d.beta2());
        assertEquals(1e-8f, d.epsilon());
        assertEquals(1.0f, d.gradientClip());
        assertEquals(1234L, d.seed());
        assertEquals(NonFinitePolicy.STOP, d.onNan());
        assertEquals(100, d.evalEvery());
        assertEquals(32, d.evalWindows());
        assertEquals(200, d.checkpointEvery());
        assertEquals(10, d.logEvery());
        assertEquals("und", d.language());
        assertEquals(System.console() != null, d.resolvedProgress(), "on a terminal only");
    }

    @Test
    void theRecordRefusesABadValueNamingTheSetting() {
        assertEquals("steps must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> DEFAULTS.with(STEPS, 0)).getMessage());
        assertEquals("layers must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> DEFAULTS.with(NUM_LAYERS, 0)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DEFAULTS.toBuilder().set(BETA2, 1f).build())
                .getMessage().startsWith("beta2 must be a finite number >= 0 and < 1"));
        assertEquals("batchSize must be given: windows per forward pass", assertThrows(IllegalArgumentException.class,
                () -> DEFAULTS.with(BATCH_SIZE, null)).getMessage());
        // The canonical constructor checks as the builder does.
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig("small", AttentionVariant.LAZY, null,
                null, null, null, null, null, null, false, 1, 0, 1, null, 1e-3f, null, null, 0.1f, 0.9f, 0.95f,
                1e-8f, 1f, 1, NonFinitePolicy.STOP, 0, 1, 0, 1, false, null, null, "und"));
    }

    @Test
    void aFrontEndsTextIsRefusedNamingItsKey() {
        assertEquals("--steps must be >= 1, got 0", refused(STEPS, "0", "--steps"));
        assertEquals("lazylm.train.steps=many: expected a whole number", refused(STEPS, "many", "lazylm.train.steps"));
        assertTrue(refused(LEARNING_RATE, "-1", "lazylm.learningRate").startsWith("lazylm.learningRate must be"));
        assertTrue(refused(LEARNING_RATE, "NaN", "--learning-rate").startsWith("--learning-rate must be"));
        assertTrue(refused(BETA2, "1", "--beta2").contains("< 1"));
        assertTrue(refused(PRESET, "huge", "--preset").contains("Unknown preset 'huge'"));
        assertTrue(refused(ATTENTION, "sparse", "--attention").contains("expected one of lazy, softmax"));
        assertTrue(refused(ON_NAN, "ignore", "--on-nan").contains("expected stop or skip"));
        assertTrue(refused(PROGRESS, "maybe", "lazylm.progress").contains("expected true or false"));
        assertTrue(refused(DEVICE, "tpu", "lazylm.device").startsWith("lazylm.device=tpu"));
        assertTrue(refused(CONTEXT_LENGTH, "99999999", "lazylm.contextLength").startsWith("lazylm.contextLength must"));
        assertEquals("lazylm.preset is empty; leave it out for the default", refused(PRESET, " ", "lazylm.preset"));
    }

    private static String refused(Setting<?> s, String text, String key) {
        return assertThrows(IllegalArgumentException.class, () -> s.parse(text, key)).getMessage();
    }

    @Test
    void settingsThatDoNotFitTogetherAreRefusedNamingTheFrontEndsKey() {
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class,
                () -> builder().set(PRESET, "tiny").set(NUM_HEADS, 3).build(FrontEnd.CLI));
        assertTrue(heads.getMessage().startsWith("--preset tiny with the settings given: "), heads.getMessage());
        IllegalArgumentException window = assertThrows(IllegalArgumentException.class,
                () -> builder().set(PRESET, "tiny").set(CONTEXT_LENGTH, 32).set(SEQUENCE_LENGTH, 33).build());
        assertEquals("sequenceLength 33 is longer than the context length 32", window.getMessage());
    }

    @Test
    void theArchitectureIsThePresetWithTheOverrides() {
        TrainConfig tiny = builder().set(PRESET, "tiny").set(CONTEXT_LENGTH, 32)
                .set(ATTENTION, AttentionVariant.SOFTMAX).build();
        assertEquals(LmConfig.preset("tiny").with(LmConfig.VOCAB_SIZE, 300).with(LmConfig.CONTEXT_LENGTH, 32)
                .with(LmConfig.BIAS_LENGTH, 32)
                .with(LmConfig.ATTENTION, AttentionVariant.SOFTMAX), tiny.config(300));
        LmConfig wide = builder().set(PRESET, "tiny").set(HIDDEN_SIZE, 96).set(BIAS_LENGTH, 8).build().config(300);
        assertEquals(96, wide.hiddenSize());
        assertEquals((96 * 8 / 3 + 15) / 16 * 16, wide.mlpHiddenSize(), "the MLP width follows the hidden size");
        assertEquals(8, wide.biasLength());
        assertEquals(64, wide.contextLength());
    }

    @Test
    void configurationsAreValuesAndWithDerivesVariants() {
        TrainConfig explicit = builder().set(STEPS, 1000).build();
        assertEquals(DEFAULTS, explicit);
        assertEquals(DEFAULTS.hashCode(), explicit.hashCode());
        TrainConfig changed = explicit.with(STEPS, 5);
        assertEquals(1000, explicit.steps(), "a copy leaves the original alone");
        assertEquals(5, changed.steps());
        assertNotEquals(DEFAULTS, changed);
    }

    /** Every component under its own name; the unset computed ones left out. */
    static final String QUICK_JSON = "{\"preset\":\"small\",\"attention\":\"lazy\",\"startToken\":false,"
            + "\"steps\":3,\"batchSize\":8,\"gradAccum\":1,\"learningRate\":0.003,\"warmupSteps\":5,"
            + "\"weightDecay\":0.1,\"beta1\":0.9,\"beta2\":0.95,\"epsilon\":1.0E-8,\"gradientClip\":1.0,\"seed\":7,"
            + "\"onNan\":\"stop\",\"evalEvery\":0,\"evalWindows\":8,\"checkpointEvery\":0,\"logEvery\":1,"
            + "\"validationAttentionStats\":false,\"progress\":false,\"language\":\"und\"}";

    @Test
    void theJsonHasOneFieldPerComponentAndReadsBack() {
        TrainConfig quick = TinyModels.quickOptions(3).build();
        assertEquals(JsonParser.parseString(QUICK_JSON), JsonParser.parseString(quick.toJson()));
        assertEquals(quick, TrainConfig.fromJson(QUICK_JSON));
        TrainConfig all = quick.toBuilder().set(NUM_LAYERS, 3).set(SEQUENCE_LENGTH, 48)
                .set(MIN_LEARNING_RATE, 1e-4f).set(ON_NAN, NonFinitePolicy.SKIP).set(DEVICE, "cpu").build();
        assertEquals(all, TrainConfig.fromJson(all.toJson()));
    }

    @Test
    void missingJsonFieldsTakeTheirDefaultAndBadOrUnknownOnesAreRefused() {
        assertEquals(DEFAULTS.with(STEPS, 7), TrainConfig.fromJson("{\"steps\":7}"));
        assertEquals("training configuration: field 'progressBar' is unknown; did you mean 'progress'?",
                assertThrows(IllegalArgumentException.class,
                        () -> TrainConfig.fromJson("{\"progressBar\":false}")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.fromJson("null"));
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.fromJson("{\"steps\":\"many\"}"));
        assertEquals("training configuration: steps must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.fromJson("{\"steps\":0}")).getMessage());
        assertEquals("training configuration: field 'steps' must be a whole number, got 2.5", assertThrows(
                IllegalArgumentException.class, () -> TrainConfig.fromJson("{\"steps\":2.5}")).getMessage());
    }

    @Test
    void aCheckpointResumesWithTheConfigurationItWasWrittenWith() throws IOException {
        Path out = dir.resolve("run");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 5)) {
            new LmTrainer(TinyModels.quickOptions(3).build(), out).train(lm, tokens(lm), null);
        }
        Checkpoint checkpoint = Checkpoint.load(out.resolve(LmTrainer.CHECKPOINT_FILE), Device.cpu());
        assertEquals(TinyModels.quickOptions(3).build(), checkpoint.options());
        assertFalse(checkpoint.model().isClosed());
        checkpoint.close();
        assertTrue(checkpoint.model().isClosed(), "closing a checkpoint closes its model");
    }

    @Test
    void closestNameIsTheLevenshteinNearestIgnoringCase() {
        assertEquals(3, ClosestName.distance("kitten", "sitting"));
        assertEquals(3, ClosestName.distance("", "abc"));
        assertEquals(0, ClosestName.distance("steps", "steps"));
        assertEquals(2, ClosestName.distance("stpes", "steps"));
        assertEquals("steps", ClosestName.closest("stpes", List.of("seed", "steps", "preset")));
        assertEquals("topK", ClosestName.closest("topk", List.of("model", "topK", "maxTopK")));
        // A shortened or lengthened name finds the name it begins or that begins it, before a closer one.
        assertEquals("warmupSteps", ClosestName.closest("warmup", List.of("layers", "warmupSteps")));
        assertEquals("progress", ClosestName.closest("progressBar", List.of("progress", "preset")));
        assertEquals("evalWindows", ClosestName.closest("evalW", List.of("evalEvery", "evalWindows")));
        assertThrows(IllegalArgumentException.class, () -> ClosestName.closest("x", List.of()));
    }

    private static int[] tokens(LazyLanguageModel lm) {
        return TinyModels.trainCorpus().tokens(lm.tokenizer());
    }
}

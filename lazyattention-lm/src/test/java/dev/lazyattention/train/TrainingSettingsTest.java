package dev.lazyattention.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.model.LmConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The settings type: one list of names and defaults, checks that name the front end's key, suggestions. */
class TrainingSettingsTest {

    /** What the options class wrote before it was made immutable (Gson of the old mutable class, defaults). */
    static final String OLD_DEFAULT_JSON = "{\"steps\":1000,\"batchSize\":4,\"gradientAccumulation\":4,"
            + "\"sequenceLength\":-1,\"learningRate\":0.001,\"minLearningRate\":-1.0,\"warmupSteps\":-1,"
            + "\"weightDecay\":0.1,\"beta1\":0.9,\"beta2\":0.95,\"epsilon\":1.0E-8,\"gradientClip\":1.0,\"seed\":1234,"
            + "\"evalEvery\":100,\"evalWindows\":32,\"checkpointEvery\":200,\"logEvery\":10,\"progressBar\":true,"
            + "\"nonFinite\":\"STOP\",\"validationAttentionStats\":false}";

    @Test
    void everySettingHasOneCamelCaseNameADefaultAndAMeaning() {
        Set<String> names = new HashSet<>();
        for (TrainingSettings.Setting<?> s : TrainingSettings.all()) {
            assertTrue(names.add(s.name().toLowerCase(java.util.Locale.ROOT)), "one setting per name: " + s);
            assertTrue(s.name().matches("[a-z][a-zA-Z0-9]*"), s.name());
            assertFalse(s.description().isBlank(), s + " has a meaning");
            assertFalse(s.defaultText() == null || s.defaultText().isBlank(), s + " has a default");
            assertEquals(s, TrainingSettings.named(s.name()));
        }
        assertNull(TrainingSettings.named("vocabulary"));
    }

    @Test
    void everyDefaultWrittenOutReadsBackAsItself() {
        for (TrainingSettings.Setting<?> s : TrainingSettings.all()) {
            roundTrip(s);
        }
    }

    private static <T> void roundTrip(TrainingSettings.Setting<T> s) {
        if (s.defaultValue() != null) {
            assertEquals(s.defaultValue(), s.parse(s.defaultText(), s.name()), s.name());
        }
    }

    @Test
    void theDefaultsAreThoseTheTrainerHadBefore() {
        TrainOptions before = TrainOptions.fromJson(OLD_DEFAULT_JSON);
        TrainOptions now = TrainingSettings.defaults().toBuilder().optProgress(true).build().trainOptions();
        assertEquals(before, now);
        assertEquals(before, TrainOptions.builder().optProgressBar(true).build());
        TrainingSettings defaults = TrainingSettings.defaults();
        assertEquals("small", defaults.preset());
        assertEquals(AttentionVariant.LAZY, defaults.attention());
        assertEquals(LmConfig.preset("small").build().vocabSize(), defaults.resolvedVocabSize());
        assertEquals("und", defaults.language());
        assertEquals(System.console() != null, defaults.resolvedProgress(), "on a terminal only");
    }

    @Test
    void badValuesAreRefusedNamingTheKeyOfTheFrontEnd() {
        assertEquals("--steps must be >= 1, got 0", refused("steps", "0", "--steps"));
        assertEquals("lazylm.train.steps=many: expected a whole number", refused("steps", "many", "lazylm.train.steps"));
        assertTrue(refused("learningRate", "-1", "lazylm.learningRate").startsWith("lazylm.learningRate must be"));
        assertTrue(refused("learningRate", "NaN", "--learning-rate").startsWith("--learning-rate must be"));
        assertTrue(refused("beta2", "1", "--beta2").contains("< 1"));
        assertTrue(refused("preset", "huge", "--preset").contains("Unknown preset 'huge'"));
        assertTrue(refused("attention", "sparse", "--attention").contains("Unknown attention variant 'sparse'"));
        assertTrue(refused("onNan", "ignore", "--on-nan").contains("expected stop or skip"));
        assertTrue(refused("progress", "maybe", "lazylm.progress").contains("expected true or false"));
        assertTrue(refused("device", "tpu", "lazylm.device").startsWith("lazylm.device=tpu"));
        assertTrue(refused("contextLength", "99999999", "lazylm.contextLength").startsWith("lazylm.contextLength must"));
        assertEquals("lazylm.preset is empty; leave it out for the default", refused("preset", " ", "lazylm.preset"));
        assertEquals("steps must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> TrainingSettings.builder().optSteps(0)).getMessage());
    }

    private static String refused(String name, String text, String key) {
        return assertThrows(IllegalArgumentException.class,
                () -> TrainingSettings.builder().optText(name, text, key)).getMessage();
    }

    @Test
    void anUnknownNameIsRefusedWithTheClosestOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingSettings.builder().optText("learnigRate", "0.1", "learnigRate"));
        assertTrue(e.getMessage().contains("did you mean learningRate?"), e.getMessage());
    }

    @Test
    void settingsThatDoNotFitTogetherAreRefusedAtBuild() {
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class,
                () -> TrainingSettings.builder().optPreset("tiny").optHeads(3).build(k -> "--" + k));
        assertTrue(heads.getMessage().startsWith("--preset tiny with the settings given: "), heads.getMessage());
        IllegalArgumentException window = assertThrows(IllegalArgumentException.class,
                () -> TrainingSettings.builder().optPreset("tiny").optContextLength(32).optSequenceLength(33).build());
        assertEquals("sequenceLength 33 is longer than the context length 32", window.getMessage());
    }

    @Test
    void theArchitectureIsThePresetWithTheOverrides() {
        TrainingSettings tiny = TrainingSettings.builder().optPreset("tiny").optContextLength(32)
                .optAttention(AttentionVariant.SOFTMAX).build();
        assertEquals(LmConfig.preset("tiny").setVocabSize(300).optContextLength(32).optBiasLength(32)
                .optAttention(AttentionVariant.SOFTMAX).build(), tiny.config(300));
        TrainingSettings wide = TrainingSettings.builder().optPreset("tiny").optHiddenSize(96).optBiasLength(8).build();
        LmConfig config = wide.config(300);
        assertEquals(96, config.hiddenSize());
        assertEquals((96 * 8 / 3 + 15) / 16 * 16, config.mlpHiddenSize(), "the MLP width follows the hidden size");
        assertEquals(8, config.biasLength());
        assertEquals(64, config.contextLength());
    }

    @Test
    void settingsAreValuesAndRememberWhatWasGiven() {
        TrainingSettings explicit = TrainingSettings.builder().optSteps(1000).build();
        assertEquals(TrainingSettings.defaults(), explicit, "equal by effective value");
        assertTrue(explicit.isSet(TrainingSettings.STEPS));
        assertFalse(TrainingSettings.defaults().isSet(TrainingSettings.STEPS));
        TrainingSettings changed = explicit.toBuilder().optSteps(5).build();
        assertEquals(1000, explicit.steps(), "a builder from toBuilder leaves the original alone");
        assertEquals(5, changed.steps());
        assertEquals(TrainingSettings.defaults(), changed.toBuilder().unset(TrainingSettings.STEPS).build());
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
}

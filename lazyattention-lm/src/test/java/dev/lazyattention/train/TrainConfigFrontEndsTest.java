package dev.lazyattention.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.FrontEndReading;
import dev.lazyattention.settings.Setting;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The training settings' table: every front end reads every setting under its own names; docs/settings.md shows it. */
class TrainConfigFrontEndsTest {

    /** A value other than the default for each setting, as a front end gets it, and the value it means. */
    static final Map<String, List<Object>> GIVEN = Map.ofEntries(
            Map.entry("preset", List.of("Tiny", "tiny")),
            Map.entry("attention", List.of("softmax", AttentionVariant.SOFTMAX)),
            Map.entry("vocabSize", List.of("300", 300)),
            Map.entry("layers", List.of("3", 3)),
            Map.entry("hiddenSize", List.of("512", 512)),
            Map.entry("heads", List.of("16", 16)),
            Map.entry("kvHeads", List.of("4", 4)),
            Map.entry("contextLength", List.of("128", 128)),
            Map.entry("biasLength", List.of("8", 8)),
            Map.entry("startToken", List.of("true", true)),
            Map.entry("steps", List.of("7", 7)),
            Map.entry("batchSize", List.of("2", 2)),
            Map.entry("gradAccum", List.of("3", 3)),
            Map.entry("sequenceLength", List.of("48", 48)),
            Map.entry("learningRate", List.of("0.002", 0.002f)),
            Map.entry("minLearningRate", List.of("5e-4", 0.0005f)),
            Map.entry("warmupSteps", List.of("0", 0)),
            Map.entry("weightDecay", List.of("0.05", 0.05f)),
            Map.entry("beta1", List.of("0.8", 0.8f)),
            Map.entry("beta2", List.of("0.99", 0.99f)),
            Map.entry("epsilon", List.of("1e-6", 1e-6f)),
            Map.entry("gradientClip", List.of("0", 0f)),
            Map.entry("seed", List.of(" 11 ", 11L)),
            Map.entry("onNan", List.of("SKIP", TrainConfig.NonFinitePolicy.SKIP)),
            Map.entry("evalEvery", List.of("5", 5)),
            Map.entry("evalWindows", List.of("6", 6)),
            Map.entry("checkpointEvery", List.of("0", 0)),
            Map.entry("logEvery", List.of("2", 2)),
            Map.entry("validationAttentionStats", List.of("true", true)),
            Map.entry("progress", List.of("false", false)),
            Map.entry("device", List.of("CPU", "cpu")),
            Map.entry("language", List.of("de", "de")));

    @Test
    void everyFrontEndReadsEverySettingUnderEachOfItsNames() {
        assertEquals(3 * TrainConfig.SETTINGS.settings().size() + 5 + 1 - 1,
                FrontEndReading.eachNameAlone(TrainConfig.SETTINGS, TrainConfig.DEFAULTS, GIVEN),
                "CLI aliases --hidden, --context, --seq-len, --lr and --warmup; OpenNLP's lazylm.steps beside "
                        + "Iterations; no OpenNLP language; Spark does not train");
    }

    @Test
    void theFrontEndsNamesAreThoseUsersKnow() {
        assertEquals(List.of("--learning-rate", "--lr"), names(FrontEnd.CLI, TrainConfig.LEARNING_RATE));
        assertEquals(List.of("--layers"), names(FrontEnd.CLI, TrainConfig.NUM_LAYERS));
        assertEquals(List.of("--progress"), names(FrontEnd.CLI, TrainConfig.PROGRESS));
        assertEquals(List.of("lazylm.train.kvHeads"), names(FrontEnd.CORENLP, TrainConfig.NUM_KV_HEADS));
        assertEquals(List.of("Iterations", "lazylm.steps"), names(FrontEnd.OPENNLP, TrainConfig.STEPS));
        assertEquals(List.of("lazylm.gradAccum"), names(FrontEnd.OPENNLP, TrainConfig.GRAD_ACCUM));
        assertEquals(List.of(), names(FrontEnd.OPENNLP, TrainConfig.LANGUAGE));
        assertEquals(List.of(), TrainConfig.SETTINGS.names(FrontEnd.SPARK));
    }

    private static List<String> names(FrontEnd frontEnd, Setting<?> s) {
        return TrainConfig.SETTINGS.names(frontEnd, s);
    }

    @Test
    void aBadValueOrTwoDifferentValuesAreRefusedUnderTheFrontEndsName() {
        assertEquals("--steps must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.SETTINGS.bind(TrainConfig.DEFAULTS, FrontEnd.CLI,
                        n -> n.equals("--steps") ? "0" : null))
                .getMessage());
        IllegalArgumentException together = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.SETTINGS.bind(TrainConfig.DEFAULTS, FrontEnd.CORENLP, n -> switch (n) {
                    case "lazylm.train.preset" -> "tiny";
                    case "lazylm.train.sequenceLength" -> "65";
                    default -> null;
                }));
        assertEquals("lazylm.train.sequenceLength 65 is longer than the context length 64", together.getMessage());
        IllegalArgumentException two = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.SETTINGS.bind(TrainConfig.DEFAULTS, FrontEnd.OPENNLP,
                        n -> n.equals("Iterations") ? 5 : n.equals("lazylm.steps") ? "6" : null));
        assertTrue(two.getMessage().startsWith("Iterations and lazylm.steps say the same thing and differ"),
                two.getMessage());
        assertEquals(5, TrainConfig.SETTINGS.bind(TrainConfig.DEFAULTS, FrontEnd.OPENNLP,
                n -> n.equals("Iterations") ? 5 : n.equals("lazylm.steps") ? "5" : null).steps(), "agreeing names");
    }

    @Test
    void docsSettingsMdShowsTheTable() throws IOException {
        String page = Files.readString(projectRoot().resolve("docs/settings.md"), StandardCharsets.UTF_8);
        String table = TrainConfig.SETTINGS.markdownTable();
        assertTrue(page.contains(table),
                "docs/settings.md lacks the training settings' table, which is now:\n" + table);
        for (Setting<?> s : TrainConfig.SETTINGS) {
            assertTrue(table.contains("| " + s.key() + " | `" + s.name() + "` | "), s.key());
        }
        assertFalse(table.contains("null"));
    }

    static Path projectRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("docs")) && Files.isDirectory(p.resolve("lazyattention-lm"))) {
                return p;
            }
        }
        throw new IllegalStateException("the project's root not found above " + Path.of("").toAbsolutePath());
    }
}

package dev.lazyattention.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@code startToken} in {@code config.json}: written only when on, so that a model without it keeps the
 * file it always had; read back as written; absent (a file from before the setting) read as off; a value
 * that is not a truth value refused.
 */
class StartTokenConfigTest {

    /** A config.json as the format-1 writer wrote it before the setting existed, typed out. */
    private static final String EARLIER = "{\n  \"format\": 1,\n  \"architecture\": \"LazyLm\",\n  \"vocabSize\": 512,\n"
            + "  \"numLayers\": 2,\n  \"hiddenSize\": 64,\n  \"numHeads\": 4,\n  \"numKvHeads\": 2,\n"
            + "  \"mlpHiddenSize\": 176,\n  \"contextLength\": 64,\n  \"attention\": \"softmax\",\n"
            + "  \"biasLength\": 64,\n  \"ropeBase\": 10000.0,\n  \"tauInit\": -1.0,\n  \"biasInitStd\": 0.001,\n"
            + "  \"normEpsilon\": 1.0E-5\n}";

    private static LmConfig tiny(boolean startToken) {
        return LmConfig.preset("tiny").with(LmConfig.ATTENTION, dev.lazyattention.attention.AttentionVariant.SOFTMAX)
                .with(LmConfig.START_TOKEN, startToken);
    }

    @Test
    void offWritesTheEarlierFileAndReadsItBackAsOff() {
        assertEquals(EARLIER, tiny(false).toJson());
        LmConfig read = LmConfig.fromJson(EARLIER, "config.json");
        assertFalse(read.startToken());
        assertEquals(tiny(false), read);
    }

    @Test
    void onIsWrittenAndReadBack() {
        String json = tiny(true).toJson();
        assertTrue(json.contains("\"startToken\": true"), json);
        LmConfig read = LmConfig.fromJson(json, "config.json");
        assertTrue(read.startToken());
        assertEquals(tiny(true), read);
        assertFalse(tiny(true).equals(tiny(false)));
        assertTrue(read.with(LmConfig.NUM_LAYERS, 3).startToken(), "a with* copy keeps it");
    }

    @Test
    void aValueThatIsNotTrueOrFalseIsRefused() {
        String json = EARLIER.replace("\"normEpsilon\": 1.0E-5", "\"normEpsilon\": 1.0E-5, \"startToken\": \"yes\"");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LmConfig.fromJson(json, "config.json"));
        assertTrue(e.getMessage().contains("startToken"), e.getMessage());
    }
}

package dev.lazyattention.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.attention.AttentionVariant;
import org.junit.jupiter.api.Test;

/**
 * {@code config.json} read strictly, every bad field named with the file; the {@code with*} copies change one
 * component and are checked like a new configuration.
 */
class LmConfigJsonTest {

    private static final String TINY = LmConfig.preset("tiny").toJson();

    private static String refusal(String json) {
        return assertThrows(IllegalArgumentException.class, () -> LmConfig.fromJson(json, "m/config.json"))
                .getMessage();
    }

    @Test
    void aMissingFieldIsNamed() {
        assertEquals("m/config.json: numHeads must be given: attention heads, dividing hiddenSize into heads of even "
                + "size (RoPE rotates pairs)", refusal(TINY.replace("\"numHeads\": 4,", "")));
    }

    @Test
    void aFieldOfTheWrongKindIsNamed() {
        assertEquals("m/config.json: field 'numLayers' must be a number, got \"2\"",
                refusal(TINY.replace("\"numLayers\": 2", "\"numLayers\": \"2\"")));
        assertEquals("m/config.json: field 'attention' must be text, got 3",
                refusal(TINY.replace("\"attention\": \"lazy\"", "\"attention\": 3")));
        assertEquals("m/config.json: field 'numLayers' must be a whole number, got 2.5",
                refusal(TINY.replace("\"numLayers\": 2", "\"numLayers\": 2.5")));
    }

    @Test
    void anUnknownVariantAndAValueOutOfRangeAreNamed() {
        String variant = refusal(TINY.replace("\"attention\": \"lazy\"", "\"attention\": \"lazzy\""));
        assertTrue(variant.startsWith("m/config.json: field 'attention'=lazzy: expected one of lazy, "), variant);
        assertEquals("m/config.json: numLayers must be >= 1, got 0",
                refusal(TINY.replace("\"numLayers\": 2", "\"numLayers\": 0")));
    }

    @Test
    void aWithCopyChangesOneComponentAndIsChecked() {
        LmConfig tiny = LmConfig.preset("tiny");
        LmConfig changed = tiny.with(LmConfig.NUM_LAYERS, 3).with(LmConfig.ATTENTION, AttentionVariant.GATED);
        assertEquals(new LmConfig(512, 3, 64, 4, 2, 176, 64, AttentionVariant.GATED, 64, 10000, -1f, 1e-3f, 1e-5f,
                false), changed);
        assertEquals(changed, LmConfig.fromJson(changed.toJson(), "x"));
        assertEquals("numKvHeads 3 does not divide numHeads 4",
                assertThrows(IllegalArgumentException.class, () -> tiny.with(LmConfig.NUM_KV_HEADS, 3)).getMessage());
    }
}

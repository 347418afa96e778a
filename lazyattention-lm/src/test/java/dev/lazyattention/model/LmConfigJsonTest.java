package dev.lazyattention.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
        assertEquals("m/config.json: missing field 'numHeads'", refusal(TINY.replace("\"numHeads\": 4,", "")));
    }

    @Test
    void aFieldOfTheWrongKindIsNamed() {
        assertEquals("m/config.json: field 'numLayers' must be a number, got \"2\"",
                refusal(TINY.replace("\"numLayers\": 2", "\"numLayers\": \"2\"")));
        assertEquals("m/config.json: field 'attention' must be a string, got 3",
                refusal(TINY.replace("\"attention\": \"lazy\"", "\"attention\": 3")));
        assertEquals("m/config.json: field 'numLayers' must be an integer, got 2.5",
                refusal(TINY.replace("\"numLayers\": 2", "\"numLayers\": 2.5")));
    }

    @Test
    void anUnknownVariantAndAValueOutOfRangeAreNamed() {
        String variant = refusal(TINY.replace("\"attention\": \"lazy\"", "\"attention\": \"lazzy\""));
        assertEquals("m/config.json: field 'attention': ", variant.substring(0, 34), variant);
        assertEquals("m/config.json: numLayers = 0 is outside the accepted range [1, 1024]",
                refusal(TINY.replace("\"numLayers\": 2", "\"numLayers\": 0")));
    }

    @Test
    void aWithCopyChangesOneComponentAndIsChecked() {
        LmConfig tiny = LmConfig.preset("tiny");
        LmConfig changed = tiny.withNumLayers(3).withAttention(AttentionVariant.GATED);
        assertEquals(new LmConfig(512, 3, 64, 4, 2, 176, 64, AttentionVariant.GATED, 64, 10000, -1f, 1e-3f, 1e-5f,
                false), changed);
        assertEquals(changed, LmConfig.fromJson(changed.toJson(), "x"));
        assertEquals("numHeads 4 is not divisible by numKvHeads 3",
                assertThrows(IllegalArgumentException.class, () -> tiny.withNumKvHeads(3)).getMessage());
    }
}

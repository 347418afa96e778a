package dev.lazyattention.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Each {@code with*} copy of {@link ScoringOptions} changes its own component and keeps every other. */
class ScoringOptionsTest {

    private static final ScoringOptions ALL_SET = new ScoringOptions(64, 16, 3, true, 5, 8, true);

    @Test
    void everyWithCopyKeepsTheOtherComponents() {
        assertEquals(new ScoringOptions(32, 16, 3, true, 5, 8, true), ALL_SET.withWindow(32));
        assertEquals(new ScoringOptions(64, 20, 3, true, 5, 8, true), ALL_SET.withStride(20));
        assertEquals(new ScoringOptions(64, 16, 9, true, 5, 8, true), ALL_SET.withBatchSize(9));
        assertEquals(new ScoringOptions(64, 16, 3, false, 5, 8, true), ALL_SET.withAttentionStats(false));
        assertEquals(new ScoringOptions(64, 16, 3, true, 2, 8, true), ALL_SET.withTopK(2));
        assertEquals(new ScoringOptions(64, 16, 3, true, 5, 4, true), ALL_SET.withQueryChunk(4));
        assertEquals(new ScoringOptions(64, 16, 3, true, 5, 8, false), ALL_SET.withCollapse(false));
    }
}

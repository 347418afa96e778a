package dev.lazyattention.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Outside training, scores larger than {@link LazyAttentionBlock#SCORE_BYTES} are computed in query blocks. */
class QueryChunkLimitTest {

    @Test
    void windowsOfThePresetsAreAttendedAtOnce() {
        // base preset: 8 sequences, 12 heads, 1024 tokens: 384 MiB of scores, under the limit.
        assertEquals(0, LazyAttentionBlock.automaticQueryChunk(8, 12, 1024, 1024));
        assertEquals(0, LazyAttentionBlock.automaticQueryChunk(64, 4, 64, 64));
    }

    @Test
    void longWindowsAreChunkedSoOneScoreTensorFitsTheLimit() {
        int chunk = LazyAttentionBlock.automaticQueryChunk(8, 12, 8192, 8192);
        assertEquals(170, chunk);
        assertTrue(8L * 12 * chunk * 8192 * Float.BYTES <= LazyAttentionBlock.SCORE_BYTES);
        assertTrue(8L * 12 * (chunk + 1) * 8192 * Float.BYTES > LazyAttentionBlock.SCORE_BYTES);
        // Even keys no single query block can hold get one query at a time, never all of them.
        assertEquals(1, LazyAttentionBlock.automaticQueryChunk(1024, 64, 8192, 1 << 20));
    }
}

package dev.lazyattention.opennlp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.testing.Fuzzing;
import dev.lazyattention.testing.HostileText;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import opennlp.tools.tokenize.SimpleTokenizer;
import opennlp.tools.tokenize.WhitespaceTokenizer;
import org.junit.jupiter.api.Test;

/**
 * Seeded hostile token arrays (1,000; 10,000 under -Pfull, see {@link Fuzzing}): a defined result or an
 * IllegalArgumentException, nothing else.
 */
class AdapterFuzzTest {

    @Test
    void hostileTokenArrays() throws IOException {
        try (LazyAttentionModel model = new LazyAttentionModel(TestModels.trainedFile())) {
            LazyAttentionLanguageModel lm = new LazyAttentionLanguageModel(model);
            Random random = new Random(7);
            for (int i = 0, n = Fuzzing.inputs(); i < n; i++) {
                String[] tokens = SimpleTokenizer.INSTANCE.tokenize(HostileText.next(random, 6));
                if (random.nextInt(20) == 0 && tokens.length > 0) {
                    tokens[random.nextInt(tokens.length)] = null;
                    String[] withNull = tokens;
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> lm.logProbability(withNull), "case " + i);
                    assertTrue(e.getMessage().contains("null"), e.getMessage());
                    continue;
                }
                double lp = lm.logProbability(tokens);
                assertTrue(Double.isFinite(lp) && lp <= 1e-9, "case " + i + ": " + lp);
                if (tokens.length == 0) {
                    assertEquals(0.0, lp);
                }
                if (i % 50 == 0) {
                    // At most one token, and a whole one: OpenNLP's whitespace tokenizer (the adapter's default
                    // rule) splits it into itself.
                    String[] next = lm.predictNextTokens(tokens);
                    assertTrue(next.length <= 1, "case " + i + ": " + Arrays.toString(next));
                    if (next.length == 1) {
                        assertArrayEquals(next, WhitespaceTokenizer.INSTANCE.tokenize(next[0]),
                                "case " + i + ": '" + next[0] + "'");
                    }
                }
            }
        }
    }
}

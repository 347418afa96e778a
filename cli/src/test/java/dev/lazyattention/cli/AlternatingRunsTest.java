package dev.lazyattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class AlternatingRunsTest {

    @Test
    void variantsTakeTurnsRoundByRound() {
        assertEquals(List.of("lazy", "softmax", "lazy", "softmax", "lazy", "softmax"),
                AlternatingRuns.order(List.of("lazy", "softmax"), 3));
        assertEquals(List.of("lazy", "lazy"), AlternatingRuns.order(List.of("lazy"), 2));
        assertThrows(IllegalArgumentException.class, () -> AlternatingRuns.order(List.of("lazy"), 0));
    }

    @Test
    void ratioIsTakenWithinEachPairThenSummarised() {
        // Runs drift upwards over time; each pair's ratio is 0.5, 0.8 and 1.0 (by hand).
        Spread ratio = AlternatingRuns.pairRatios(List.of(100.0, 400.0, 1000.0), List.of(200.0, 500.0, 1000.0));
        assertEquals(List.of(0.5, 0.8, 1.0), ratio.samples());
        assertEquals(0.8, ratio.median(), 1e-15);
        assertEquals(0.5, ratio.min(), 1e-15);
        assertEquals(1.0, ratio.max(), 1e-15);
        // The ratio of the medians would be 400 / 500 = 0.8 here too, but of the means 500 / 566.7 = 0.88:
        // pairing a run with its neighbour, not with the whole other list, is what the test pins down.
        Spread swapped = AlternatingRuns.pairRatios(List.of(100.0, 400.0), List.of(500.0, 200.0));
        assertEquals(List.of(0.2, 2.0), swapped.samples());
    }

    @Test
    void refusesUnevenPairs() {
        assertThrows(IllegalArgumentException.class,
                () -> AlternatingRuns.pairRatios(List.of(1.0, 2.0), List.of(1.0)));
        assertThrows(IllegalArgumentException.class, () -> AlternatingRuns.pairRatios(List.of(), List.of()));
    }
}

package dev.lazyattention.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlternatingRunsTest {

    @Test
    void orderWithinAPairFlipsEveryRound() {
        // A B, then B A, then A B: written out by hand.
        assertEquals(List.of("lazy", "softmax", "softmax", "lazy", "lazy", "softmax"),
                AlternatingRuns.order(List.of("lazy", "softmax"), 3));
        assertEquals(List.of("a", "b", "c", "c", "b", "a"), AlternatingRuns.order(List.of("a", "b", "c"), 2));
        assertEquals(List.of("lazy", "lazy"), AlternatingRuns.order(List.of("lazy"), 2));
        assertThrows(IllegalArgumentException.class, () -> AlternatingRuns.order(List.of("lazy"), 0));
        assertThrows(IllegalArgumentException.class, () -> AlternatingRuns.order(List.of(), 1));
    }

    @Test
    void collectPairsTheIthRunOfEachVariantAndADriftCancels() throws Exception {
        // A machine slowing down steadily: the k-th run (from 0) takes k + 1 units whatever the variant.
        List<String> calls = new ArrayList<>();
        Map<String, Map<String, List<Double>>> runs = AlternatingRuns.collect(List.of("A", "B"), 4,
                (variant, index) -> {
                    calls.add(variant + index);
                    return Map.of("seconds", index + 1.0);
                });
        // Order A B B A A B B A (by hand): A is run 0, 3, 4, 7 and B run 1, 2, 5, 6.
        assertEquals(List.of("A0", "B1", "B2", "A3", "A4", "B5", "B6", "A7"), calls);
        List<Double> a = runs.get("A").get("seconds");
        List<Double> b = runs.get("B").get("seconds");
        assertEquals(List.of(1.0, 4.0, 5.0, 8.0), a);
        assertEquals(List.of(2.0, 3.0, 6.0, 7.0), b);
        // Per pair A - B is -1, +1, -1, +1: the drift favours each variant in turn and cancels over two
        // rounds. With A B A B ... it would be -1 in every pair, the same bias in every ratio.
        double sum = 0;
        for (int i = 0; i < a.size(); i++) {
            assertEquals(i % 2 == 0 ? -1.0 : 1.0, a.get(i) - b.get(i), 0.0, "pair " + i);
            sum += a.get(i) - b.get(i);
        }
        assertEquals(0.0, sum, 0.0);
        // The pairs' ratios by hand: 1/2, 4/3, 5/6, 8/7.
        assertEquals(List.of(0.5, 4.0 / 3, 5.0 / 6, 8.0 / 7), AlternatingRuns.pairRatios(a, b).samples());
    }

    @Test
    void collectKeepsEveryFigureOfARun() throws Exception {
        Map<String, Map<String, List<Double>>> runs = AlternatingRuns.collect(List.of("lazy", "softmax"), 2,
                (variant, index) -> Map.of("forward", 10.0 * index, "backward", 10.0 * index + 1));
        // lazy: runs 0 and 3; softmax: runs 1 and 2.
        assertEquals(List.of(0.0, 30.0), runs.get("lazy").get("forward"));
        assertEquals(List.of(1.0, 31.0), runs.get("lazy").get("backward"));
        assertEquals(List.of(10.0, 20.0), runs.get("softmax").get("forward"));
        assertEquals(List.of(11.0, 21.0), runs.get("softmax").get("backward"));
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

package dev.lazyattention.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SpreadTest {

    @Test
    void medianOfOddAndEvenCountsMinAndMax() {
        Spread odd = Spread.of(5, 1, 3);
        assertEquals(3, odd.median());
        assertEquals(1, odd.min());
        assertEquals(5, odd.max());
        assertEquals(List.of(5.0, 1.0, 3.0), odd.samples());
        assertEquals(2.5, Spread.of(4, 1, 3, 2).median());
        assertEquals(4.0 / 3.0, odd.relativeSpread(), 1e-12);
        assertEquals("3.0 (1.0-5.0)", odd.format("%.1f"));
    }

    @Test
    void refusesNothingAndNonFiniteMeasurements() {
        assertThrows(IllegalArgumentException.class, () -> Spread.of(List.of()));
        assertThrows(IllegalArgumentException.class, () -> Spread.of(1, Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Spread.of(Double.NaN));
    }
}

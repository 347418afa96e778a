package dev.lazyattention.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TimingsTest {

    @Test
    void runsLongEnoughGiveTheSpreadOfTheirValues() {
        // 1,000 work items in 2, 1 and 4 ms: 500, 1000 and 250 items/ms; median 500 (by hand).
        Map<String, Object> f = Timings.figure(List.of(2_000_000L, 1_000_000L, 4_000_000L), n -> 1e9 / n, 1);
        assertEquals(500.0, (Double) f.get("median"), 1e-9);
        assertEquals(250.0, (Double) f.get("min"), 1e-9);
        assertEquals(1000.0, (Double) f.get("max"), 1e-9);
    }

    @Test
    void aRunShorterThanAThousandTicksIsNotMeasuredNotClamped() {
        Map<String, Object> f = Timings.figure(List.of(5_000_000L, 999L * 30), n -> 1e9 / n, 30);
        assertFalse(f.containsKey("median"));
        assertTrue(((String) f.get("notMeasured")).contains("29970 ns"), f.toString());
        assertTrue(Timings.figure(List.of(1000L * 30), n -> 1.0, 30).containsKey("median"));
        assertTrue(Timings.tickNanos() >= 1);
    }
}

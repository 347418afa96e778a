package dev.lazyattention.lab.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Turns timed runs into a bench figure. A run shorter than {@link #MIN_TICKS} ticks of {@link System#nanoTime}
 * cannot be trusted to a thousandth: its figure is reported as not measured, with the reason, instead of a
 * number from a clamped or rounded duration.
 */
final class Timings {

    /** Ticks of the clock a run must last for its duration to be known to 0.1%. */
    static final long MIN_TICKS = 1000;

    private static final long TICK_NANOS = measureTick();

    private Timings() {}

    /** The smallest step of {@link System#nanoTime} seen on this machine, in ns (at least 1). */
    static long tickNanos() {
        return TICK_NANOS;
    }

    /**
     * The JSON form of a figure: {@link Spread#toMap()} of {@code value} applied to every run's duration, or
     * {@code {"notMeasured": reason}} when a run was too short for the clock.
     */
    static Map<String, Object> figure(List<Long> nanos, LongFunction<Double> value) {
        return figure(nanos, value, TICK_NANOS);
    }

    static Map<String, Object> figure(List<Long> nanos, LongFunction<Double> value, long tickNanos) {
        List<Double> values = new ArrayList<>();
        for (long n : nanos) {
            if (n < MIN_TICKS * tickNanos) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("notMeasured", String.format(Locale.ROOT, "a run took %d ns, under %d ticks of the %d ns clock",
                        n, MIN_TICKS, tickNanos));
                return m;
            }
            values.add(value.apply(n));
        }
        return Spread.of(values).toMap();
    }

    private static long measureTick() {
        long smallest = Long.MAX_VALUE;
        for (int i = 0; i < 1000; i++) {
            long a = System.nanoTime();
            long b;
            do {
                b = System.nanoTime();
            } while (b == a);
            smallest = Math.min(smallest, b - a);
        }
        return Math.max(1, smallest);
    }
}

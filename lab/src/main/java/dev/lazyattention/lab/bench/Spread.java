package dev.lazyattention.lab.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A benchmark figure: the median of repeated measurements with the smallest and largest beside it. One
 * sample is never a figure on its own; the spread says how far a reader may trust the median.
 *
 * @param median the middle value (the mean of the two middle values for an even count)
 * @param min the smallest measurement
 * @param max the largest measurement
 * @param samples every measurement, in the order taken
 */
record Spread(double median, double min, double max, List<Double> samples) {

    Spread {
        samples = List.copyOf(samples);
    }

    /** The spread of {@code values}; refuses an empty list or a value that is not finite. */
    static Spread of(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no measurements");
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        for (double x : v) {
            if (!Double.isFinite(x)) {
                throw new IllegalArgumentException("measurement " + x + " is not finite: " + values);
            }
        }
        Arrays.sort(v);
        int n = v.length;
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return new Spread(median, v[0], v[n - 1], values);
    }

    static Spread of(double... values) {
        List<Double> list = new ArrayList<>(values.length);
        for (double x : values) {
            list.add(x);
        }
        return of(list);
    }

    /** (max - min) / median: 0.1 means the measurements lie within 10% of the median's size. */
    double relativeSpread() {
        return (max - min) / Math.abs(median);
    }

    /** The JSON form: median, min, max, runs. */
    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("median", median);
        m.put("min", min);
        m.put("max", max);
        m.put("runs", samples);
        return m;
    }

    /** "1,234 (1,100-1,300)" with {@code pattern} applied to each of the three numbers. */
    String format(String pattern) {
        return String.format(Locale.ROOT, pattern + " (" + pattern + "-" + pattern + ")", median, min, max);
    }
}

package dev.lazyattention.lab.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The order and pairing of a comparison between variants measured in turn: A B B A A B B A ... Each run is its
 * own child JVM, so no variant inherits another's warm-up, and a change of the machine's load during the bench
 * touches both runs of a pair alike. The order within a pair flips every round: with A always first, a load
 * that rises (or falls) during every pair would bias every pair's ratio the same way; flipped, a steady drift
 * favours A in one pair and B in the next. The ratio of two variants is taken within each pair (the i-th run
 * of one variant with the i-th run of the other) and summarised over the pairs, never between separately
 * summarised medians.
 */
final class AlternatingRuns {

    /** One run of one variant: its figures by name. */
    @FunctionalInterface
    interface Run {
        Map<String, Double> measure(String variant, int index) throws Exception;
    }

    private AlternatingRuns() {}

    /**
     * {@code variants} in turn, {@code rounds} times, the order reversed every other round: [A, B, B, A, A, B,
     * ...] for [A, B].
     */
    static List<String> order(List<String> variants, int rounds) {
        if (variants.isEmpty() || rounds < 1) {
            throw new IllegalArgumentException("need at least one variant and one round, got " + variants
                    + " and " + rounds);
        }
        List<String> reversed = new ArrayList<>(variants);
        java.util.Collections.reverse(reversed);
        List<String> order = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            order.addAll(r % 2 == 0 ? variants : reversed);
        }
        return order;
    }

    /**
     * Runs {@code run} in {@link #order}; per variant, per figure, the values in the order taken, so that the
     * i-th value of one variant and the i-th of another come from the same round.
     *
     * @param run given each variant and the run's index in the whole order (from 0)
     */
    static Map<String, Map<String, List<Double>>> collect(List<String> variants, int rounds, Run run)
            throws Exception {
        Map<String, Map<String, List<Double>>> samples = new LinkedHashMap<>();
        for (String variant : variants) {
            samples.put(variant, new LinkedHashMap<>());
        }
        List<String> order = order(variants, rounds);
        for (int i = 0; i < order.size(); i++) {
            String variant = order.get(i);
            for (Map.Entry<String, Double> figure : run.measure(variant, i).entrySet()) {
                samples.get(variant).computeIfAbsent(figure.getKey(), k -> new ArrayList<>()).add(figure.getValue());
            }
        }
        return samples;
    }

    /** A sentence for the JSON: how the runs were ordered and how a ratio was taken. */
    static String describe(List<String> variants, int rounds) {
        List<String> first = order(variants, Math.min(rounds, 2));
        return "median of " + rounds + " per-pair ratios (the i-th run of each variant); runs in the order "
                + String.join(", ", first) + (rounds > 2 ? ", ..." : "") + ", each in its own JVM";
    }

    /**
     * The ratio {@code numerator[i] / denominator[i]} of each round, both lists in the order of {@link
     * #collect}: the i-th run of one variant is paired with the i-th run of the other.
     */
    static Spread pairRatios(List<Double> numerator, List<Double> denominator) {
        if (numerator.size() != denominator.size() || numerator.isEmpty()) {
            throw new IllegalArgumentException("pairs need as many runs of each variant, got " + numerator.size()
                    + " and " + denominator.size());
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < numerator.size(); i++) {
            ratios.add(numerator.get(i) / denominator.get(i));
        }
        return Spread.of(ratios);
    }
}

package dev.lazyattention.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The order and pairing of a comparison between variants measured in turn: A B A B ... Each run is its own
 * child JVM, so no variant inherits another's warm-up, and a change of the machine's load during the bench
 * touches both runs of a pair alike. The ratio of two variants is taken within each pair and summarised
 * over the pairs, never between separately summarised medians.
 */
final class AlternatingRuns {

    private AlternatingRuns() {}

    /** {@code variants} in turn, {@code rounds} times: [A, B, A, B, ...] for [A, B]. */
    static List<String> order(List<String> variants, int rounds) {
        if (variants.isEmpty() || rounds < 1) {
            throw new IllegalArgumentException("need at least one variant and one round, got " + variants
                    + " and " + rounds);
        }
        List<String> order = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            order.addAll(variants);
        }
        return order;
    }

    /**
     * The ratio {@code numerator[i] / denominator[i]} of each round, both lists in the order of {@link
     * #order}: the i-th run of one variant is paired with the i-th run of the other.
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

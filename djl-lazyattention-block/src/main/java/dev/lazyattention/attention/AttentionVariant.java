package dev.lazyattention.attention;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which parts of Lazy Attention a layer uses. {@link #LAZY} is the method of the paper; {@link #SOFTMAX}
 * is standard RoPE attention (the baseline); {@link #BIAS_ONLY} and {@link #ELASTIC_ONLY} are the ablations
 * that keep one part each. {@link #OFF_BY_ONE}, {@link #LEARNED_SINK} and {@link #GATED} are three other
 * baselines that also let a head attend to nothing: a softmax with 1 added to its denominator, a softmax with a
 * learned {@code exp(s_h)} added to it, and a sigmoid gate on each head's output.
 */
public enum AttentionVariant {
    /** Learnable distance bias and Elastic-Softmax. */
    LAZY(true, true, false, false, false),
    /** Standard RoPE softmax attention. */
    SOFTMAX(false, false, false, false, false),
    /** Distance bias with an ordinary softmax. */
    BIAS_ONLY(true, false, false, false, false),
    /** Elastic-Softmax without the distance bias. */
    ELASTIC_ONLY(false, true, false, false, false),
    /**
     * Softmax with 1 added to the denominator, {@code exp(S_ij) / (1 + sum_j' exp(S_ij'))}: a zero-score key
     * with a zero value that every query sees. Rows sum to less than 1.
     */
    OFF_BY_ONE(false, false, true, false, false),
    /**
     * Standard softmax attention whose per-head output is scaled by {@code sigmoid(x Wg)}, a gate computed
     * from the layer input by one more bias-free projection {@code [C -> H]}.
     */
    GATED(false, false, false, true, false),
    /**
     * Softmax with one learned logit {@code s_h} per head in the denominator, {@code exp(S_ij) / (exp(s_h) +
     * sum_j' exp(S_ij'))}, as gpt-oss's attention sinks: a key of score {@code s_h} and value 0 that every
     * query of head h sees. {@link #OFF_BY_ONE} is this variant with every {@code s_h} fixed at 0.
     */
    LEARNED_SINK(false, false, false, false, true);

    private final boolean distanceBias;
    private final boolean elastic;
    private final boolean offByOne;
    private final boolean outputGate;
    private final boolean learnedSink;

    AttentionVariant(boolean distanceBias, boolean elastic, boolean offByOne, boolean outputGate,
            boolean learnedSink) {
        this.distanceBias = distanceBias;
        this.elastic = elastic;
        this.offByOne = offByOne;
        this.outputGate = outputGate;
        this.learnedSink = learnedSink;
    }

    /** Whether layers of this variant learn a per-head bias for every query-key distance. */
    public boolean hasDistanceBias() {
        return distanceBias;
    }

    /** Whether layers of this variant normalise with Elastic-Softmax (and learn a per-head tau). */
    public boolean hasElasticSoftmax() {
        return elastic;
    }

    /** Whether layers of this variant normalise with the off-by-one softmax (1 added to the denominator). */
    public boolean hasOffByOneSoftmax() {
        return offByOne;
    }

    /**
     * Whether layers of this variant learn one sink logit {@code s_h} per head and add {@code exp(s_h)} to the
     * softmax's denominator.
     */
    public boolean hasLearnedSink() {
        return learnedSink;
    }

    /** Whether layers of this variant scale each head's output by a sigmoid gate (and learn its projection). */
    public boolean hasOutputGate() {
        return outputGate;
    }

    /** The lower-case name used in files, properties and on the command line ({@code bias_only}). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a variant name, case-insensitively, accepting {@code -} for {@code _}.
     *
     * @throws IllegalArgumentException naming the value and the accepted names
     */
    public static AttentionVariant parse(String name) {
        if (name != null) {
            String key = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            for (AttentionVariant v : values()) {
                if (v.name().equals(key)) {
                    return v;
                }
            }
        }
        throw new IllegalArgumentException(
                "Unknown attention variant '" + name + "'; expected one of "
                        + Arrays.stream(values()).map(AttentionVariant::id).collect(Collectors.joining(", ")));
    }
}

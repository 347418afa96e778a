package dev.lazyattention.attention;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which parts of Lazy Attention a layer uses. {@link #LAZY} is the method of the paper; {@link #SOFTMAX}
 * is standard RoPE attention (the baseline); the other two are the ablations that keep one part each.
 */
public enum AttentionVariant {
    /** Learnable distance bias and Elastic-Softmax. */
    LAZY(true, true),
    /** Standard RoPE softmax attention. */
    SOFTMAX(false, false),
    /** Distance bias with an ordinary softmax. */
    BIAS_ONLY(true, false),
    /** Elastic-Softmax without the distance bias. */
    ELASTIC_ONLY(false, true);

    private final boolean distanceBias;
    private final boolean elastic;

    AttentionVariant(boolean distanceBias, boolean elastic) {
        this.distanceBias = distanceBias;
        this.elastic = elastic;
    }

    /** Whether layers of this variant learn a per-head bias for every query-key distance. */
    public boolean hasDistanceBias() {
        return distanceBias;
    }

    /** Whether layers of this variant normalise with Elastic-Softmax (and learn a per-head tau). */
    public boolean hasElasticSoftmax() {
        return elastic;
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

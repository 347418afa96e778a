package dev.lazyattention.lab.experiment;

import org.jfree.chart.renderer.PaintScale;

import java.awt.Color;
import java.awt.Paint;

/**
 * A perceptually ordered colour ramp (dark blue through teal and green to yellow, after viridis) for
 * heatmaps. Written here because JFreeChart ships only a grey and a stepped paint scale.
 */
final class ColorScale implements PaintScale {

    private static final float[][] STOPS = {
        {0.267f, 0.005f, 0.329f}, {0.229f, 0.322f, 0.546f}, {0.128f, 0.567f, 0.551f},
        {0.369f, 0.789f, 0.383f}, {0.993f, 0.906f, 0.144f},
    };

    private final double lower;
    private final double upper;
    private final double gamma;

    ColorScale(double lower, double upper) {
        this(lower, upper, 1);
    }

    /** A gamma below 1 spreads the colours over small values (attention weights are mostly small). */
    ColorScale(double lower, double upper, double gamma) {
        this.lower = lower;
        this.upper = upper > lower ? upper : lower + 1e-9;
        this.gamma = gamma;
    }

    @Override
    public double getLowerBound() {
        return lower;
    }

    @Override
    public double getUpperBound() {
        return upper;
    }

    @Override
    public Paint getPaint(double value) {
        double x = Double.isNaN(value) ? 0 : Math.pow(Math.max(0, Math.min(1, (value - lower) / (upper - lower))), gamma);
        double position = x * (STOPS.length - 1);
        int i = Math.min(STOPS.length - 2, (int) position);
        float f = (float) (position - i);
        float[] a = STOPS[i];
        float[] b = STOPS[i + 1];
        return new Color(a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2]));
    }
}

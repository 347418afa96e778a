package dev.lazyattention.generate;

/**
 * The decoder's one matrix-vector kernel: {@code y = x W} with {@code W} stored {@code [in][out]}, one array per
 * row, so the product is a sum of rows of {@code W} scaled by entries of {@code x} (axpy form), which streams the
 * weights once in memory order. The loop is shaped so that HotSpot (JDK 17) vectorises it: every row and the
 * output are indexed by the same {@code o} (rows are separate arrays, not offsets into one flat array), and four
 * rows are added per pass, so that {@code y} is loaded and stored once per four rows (docs/performance.md has the
 * figures).
 */
final class MatVec {

    private MatVec() {
    }

    /**
     * {@code y[o] = sum over i in [from, to) of x[i] * W[i][o]} for {@code o < width}. All rows give {@code y = x
     * W}; a range of rows gives the partial sum of those inputs (the inputs split between threads); a matrix of
     * some of the columns gives those outputs (the outputs split).
     */
    static void product(float[] x, float[][] w, int from, int to, int width, float[] y) {
        java.util.Arrays.fill(y, 0, width, 0f);
        int i = from;
        for (; i + 3 < to; i += 4) {
            float x0 = x[i];
            float x1 = x[i + 1];
            float x2 = x[i + 2];
            float x3 = x[i + 3];
            float[] w0 = w[i];
            float[] w1 = w[i + 1];
            float[] w2 = w[i + 2];
            float[] w3 = w[i + 3];
            for (int o = 0; o < width; o++) {
                y[o] += (x0 * w0[o] + x1 * w1[o]) + (x2 * w2[o] + x3 * w3[o]);
            }
        }
        for (; i < to; i++) {
            float xi = x[i];
            float[] wi = w[i];
            for (int o = 0; o < width; o++) {
                y[o] += xi * wi[o];
            }
        }
    }
}

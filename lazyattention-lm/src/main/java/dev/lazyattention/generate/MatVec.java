package dev.lazyattention.generate;

/**
 * The decoder's one matrix-vector kernel: {@code y = x W} with {@code W} stored {@code [in][out]} row-major, so the
 * product is a sum of rows of {@code W} scaled by entries of {@code x} (axpy form), which streams the weights once
 * in memory order and which HotSpot vectorises. Rows are added eight at a time: adding one row per pass loads and
 * stores all of {@code y} for every row of weights and ran at about 11 GB/s on one core of the reference machine;
 * eight rows per pass load and store {@code y} once per eight rows and reached 13-20 GB/s.
 */
final class MatVec {

    private MatVec() {
    }

    /**
     * {@code y[o] = sum over i in [from, to) of x[i] * W[i][o]} for {@code o < width}, W {@code [*][width]}
     * row-major. All rows give {@code y = x W}; a range of rows gives the partial sum of those inputs (the inputs
     * split between threads); a matrix of some of the columns gives those outputs (the outputs split).
     */
    static void product(float[] x, float[] w, int from, int to, int width, float[] y) {
        java.util.Arrays.fill(y, 0, width, 0f);
        int i = from;
        for (; i + 7 < to; i += 8) {
            float x0 = x[i];
            float x1 = x[i + 1];
            float x2 = x[i + 2];
            float x3 = x[i + 3];
            float x4 = x[i + 4];
            float x5 = x[i + 5];
            float x6 = x[i + 6];
            float x7 = x[i + 7];
            int r0 = i * width;
            int r1 = r0 + width;
            int r2 = r1 + width;
            int r3 = r2 + width;
            int r4 = r3 + width;
            int r5 = r4 + width;
            int r6 = r5 + width;
            int r7 = r6 + width;
            for (int o = 0; o < width; o++) {
                y[o] += ((x0 * w[r0 + o] + x1 * w[r1 + o]) + (x2 * w[r2 + o] + x3 * w[r3 + o]))
                        + ((x4 * w[r4 + o] + x5 * w[r5 + o]) + (x6 * w[r6 + o] + x7 * w[r7 + o]));
            }
        }
        for (; i < to; i++) {
            float xi = x[i];
            int row = i * width;
            for (int o = 0; o < width; o++) {
                y[o] += xi * w[row + o];
            }
        }
    }
}

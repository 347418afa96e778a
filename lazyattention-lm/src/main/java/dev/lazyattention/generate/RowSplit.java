package dev.lazyattention.generate;

import java.util.concurrent.locks.LockSupport;

/**
 * Matrix-vector products {@code y = x W} ({@code W} [in][out] row-major) shared by the calling thread and
 * one worker thread: the worker sums the first half of the rows of {@code W} into a scratch vector, the caller
 * the second half into {@code y}, and the caller adds the two. Each thread streams one contiguous half of the
 * matrix (splitting by columns instead made both read half of every row, and two threads were no faster than
 * one). The two partial sums change the order of the additions, so results agree with one thread to rounding,
 * not bit for bit. A decoding step makes ~30 such products, so the hand-over must be cheap: the worker spins
 * briefly on a counter before it parks, and so does the caller while it waits. Not thread-safe: one caller at
 * a time; {@link #close} stops the worker.
 */
final class RowSplit implements AutoCloseable {

    private static final int SPINS = 200;

    private final Thread worker;
    private final Thread caller;
    private volatile float[] in;
    private volatile float[] weight;
    private volatile int width;
    private volatile int half;
    private volatile float[] scratch = new float[0]; // the worker's partial sum [out]
    private volatile int posted;
    private volatile int finished;
    private volatile boolean closed;

    RowSplit() {
        caller = Thread.currentThread();
        worker = new Thread(this::work, "array-decoder-worker");
        worker.setDaemon(true);
        worker.start();
    }

    /** {@code out = in W}, the rows of W split between the two threads. */
    void matVec(float[] x, float[] w, float[] y) {
        if (Thread.currentThread() != caller) {
            throw new IllegalStateException("a RowSplit serves the thread that made it");
        }
        if (scratch.length < y.length) {
            scratch = new float[y.length];
        }
        int split = x.length / 2;
        in = x;
        weight = w;
        width = y.length;
        half = split;
        int task = posted + 1;
        posted = task; // publishes the fields above
        LockSupport.unpark(worker);
        ArrayDecoder.rows(x, w, y, split, x.length, y.length); // [out] from rows split..in-1
        for (int spin = 0; finished != task; spin++) {
            if (spin < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        float[] partial = scratch;
        for (int o = 0; o < y.length; o++) {
            y[o] += partial[o];
        }
    }

    private void work() {
        int done = 0;
        int spin = 0;
        while (!closed) {
            int task = posted;
            if (task == done) {
                if (spin++ < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
                continue;
            }
            spin = 0;
            ArrayDecoder.rows(in, weight, scratch, 0, half, width);
            done = task;
            finished = task;
            LockSupport.unpark(caller);
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(worker);
    }
}

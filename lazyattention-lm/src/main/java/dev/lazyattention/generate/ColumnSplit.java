package dev.lazyattention.generate;

import java.util.concurrent.locks.LockSupport;

/**
 * Matrix-vector products {@code y = x W} ({@code W} [in][out] row-major) shared by the calling thread and
 * one worker thread: the worker computes the first half of the output columns, the caller the second, so
 * each reads half of every weight row. A decoding step makes ~30 such products, so the hand-over must be
 * cheap: the worker spins briefly on a counter before it parks, and so does the caller while it waits.
 * Not thread-safe: one caller at a time; {@link #close} stops the worker.
 */
final class ColumnSplit implements AutoCloseable {

    private static final int SPINS = 200;

    private final Thread worker;
    private final Thread caller;
    private volatile float[] in;
    private volatile float[] weight;
    private volatile float[] out;
    private volatile int half;
    private volatile int posted;
    private volatile int finished;
    private volatile boolean closed;

    ColumnSplit() {
        caller = Thread.currentThread();
        worker = new Thread(this::work, "array-decoder-worker");
        worker.setDaemon(true);
        worker.start();
    }

    /** {@code out = in W}, the columns split between the two threads. */
    void matVec(float[] x, float[] w, float[] y) {
        if (Thread.currentThread() != caller) {
            throw new IllegalStateException("a ColumnSplit serves the thread that made it");
        }
        int split = (y.length / 2) & ~7; // a multiple of 8 floats: both halves vectorise cleanly
        in = x;
        weight = w;
        out = y;
        half = split;
        int task = posted + 1;
        posted = task; // publishes the fields above
        LockSupport.unpark(worker);
        ArrayDecoder.matVec(x, w, y, split, y.length);
        for (int spin = 0; finished != task; spin++) {
            if (spin < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
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
            ArrayDecoder.matVec(in, weight, out, 0, half);
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

package dev.lazyattention.generate;

import java.util.concurrent.locks.LockSupport;

/**
 * A barrier of two threads that meet several times per decoding step (at the step's start, twice per layer, at
 * its end), so a meeting must cost far less than waking a parked thread, which took 50-500 µs on the reference
 * virtual machine: a thread that arrives first spins for up to {@link #SPIN_NANOS}, which covers the other's lag
 * within a step and the gap between steps of a generation loop (a few µs in {@link Generator}, about 0.5 ms in
 * DJL's {@code TextGenerator}, whose two-thread rate rose from 449 to 661 tokens/s when the spin went from 50 µs to
 * 1 ms), and only then parks. After the first 20 µs the spin yields at every round: where the scheduler has
 * put both threads on one core, a pure spin would hold that core for the whole millisecond at every meeting
 * (repetitions of 64 steps at about 100 tokens/s instead of 1,000 were seen before the yield). A longer spin
 * would hold a core that another process needs on a busy machine, where one decoder thread ({@code --threads
 * 1}) is the better choice anyway.
 *
 * <p>Each party counts its arrivals; a party passes its n-th arrival once the other has arrived n times. A
 * party parks only after announcing it, and re-checks the other's count after the announcement, while the
 * other reads the announcement after counting its arrival: one of the two always sees the other (both fields
 * are volatile), so no wake-up is lost. {@link #close} releases both parties with {@link Closed}.
 */
final class PairBarrier {

    static final long SPIN_NANOS = 1_000_000;
    /** The first part of the spin, without yielding: a meeting within a step is usually this close. */
    static final long PURE_SPIN_NANOS = 20_000;

    /** Thrown to a party waiting at, or arriving at, a closed barrier. */
    static final class Closed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Closed() {
            super("the decoder was closed", null, false, false);
        }
    }

    private static final class Party {
        volatile long arrivals;
        volatile boolean parked;
        volatile Thread thread;
    }

    private final Party[] parties = {new Party(), new Party()};
    private volatile boolean closed;

    /** Party {@code me} (0 or 1) arrives and waits until the other has arrived as often. */
    void arrive(int me) {
        Party self = parties[me];
        Party other = parties[1 - me];
        long target = self.arrivals + 1;
        self.arrivals = target;
        if (other.parked) {
            LockSupport.unpark(other.thread);
        }
        long start = 0;
        while (other.arrivals < target) {
            if (closed) {
                throw new Closed();
            }
            if (start == 0) {
                start = System.nanoTime();
            }
            long waited = System.nanoTime() - start;
            if (waited < PURE_SPIN_NANOS) {
                Thread.onSpinWait();
                continue;
            }
            if (waited < SPIN_NANOS) {
                Thread.yield(); // lets the other thread run if the scheduler put both on one core
                continue;
            }
            self.thread = Thread.currentThread();
            self.parked = true;
            if (other.arrivals < target && !closed) {
                LockSupport.park(this);
            }
            self.parked = false;
        }
    }

    /** Releases both parties, now and at every later arrival. */
    void close() {
        closed = true;
        for (Party p : parties) {
            Thread t = p.thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }
}

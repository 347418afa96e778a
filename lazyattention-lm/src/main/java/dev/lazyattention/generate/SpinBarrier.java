package dev.lazyattention.generate;

import java.util.concurrent.locks.LockSupport;

/**
 * A barrier of a fixed number of parties that meet several times per decoding step (at the step's start, twice
 * per layer, at its end). It spins rather than parks because a JDK barrier ({@code CyclicBarrier}, {@code
 * Phaser}) parks its waiters, and waking a parked thread costs far more than the work between two meetings
 * (docs/performance.md, "Decoder threads", has the figures).
 *
 * <p>A party that must wait spins for up to {@link #SPIN_NANOS}, which covers the other parties' lag within a step
 * and the gap between steps of a generation loop (shorter in {@link Generator} than in DJL's {@code
 * TextGenerator}), and only then parks. After the first {@link #PURE_SPIN_NANOS} the spin yields at every round,
 * so that where the scheduler has put several parties on one core the one that is behind can run. Ask for no more
 * parties than there are idle cores: a spinning party holds its core.
 *
 * <p>Each party counts its arrivals; a party passes its n-th arrival once every other party has arrived n times.
 * A party parks only after announcing it, and re-checks the others' counts after the announcement, while an
 * arriving party reads the announcements after counting its arrival: of a waiting party and the last party it
 * waits for, one always sees the other (the fields are volatile), so no wake-up is lost. {@link #close} releases
 * every party with {@link Closed}.
 */
final class SpinBarrier {

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

    private final Party[] parties;
    private volatile boolean closed;

    /** A barrier of {@code count} (at least 1) parties, numbered 0 to {@code count - 1}. */
    SpinBarrier(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("a barrier has at least 1 party, not " + count);
        }
        parties = new Party[count];
        for (int p = 0; p < count; p++) {
            parties[p] = new Party();
        }
    }

    /** Party {@code me} arrives and waits until every other party has arrived as often. */
    void arrive(int me) {
        Party self = parties[me];
        long target = self.arrivals + 1;
        self.arrivals = target;
        for (Party other : parties) {
            if (other != self && other.parked) {
                LockSupport.unpark(other.thread);
            }
        }
        long start = 0;
        while (behind(target)) {
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
                Thread.yield(); // lets a party that shares this core run
                continue;
            }
            self.thread = Thread.currentThread();
            self.parked = true;
            if (behind(target) && !closed) {
                LockSupport.park(this);
            }
            self.parked = false;
        }
    }

    /** Whether some party has arrived fewer than {@code target} times. */
    private boolean behind(long target) {
        for (Party p : parties) {
            if (p.arrivals < target) {
                return true;
            }
        }
        return false;
    }

    /** Releases every party, now and at every later arrival. */
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

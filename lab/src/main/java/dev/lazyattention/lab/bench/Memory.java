package dev.lazyattention.lab.bench;

import com.sun.jna.Library;
import com.sun.jna.Native;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process, from Linux's {@code /proc/self/status}: the current resident set and
 * its high-water mark, which {@link #resetPeak()} restarts so that each benchmark phase gets its own
 * peak. Native memory is what is resident beyond the Java heap.
 */
final class Memory {

    /** glibc, for {@code malloc_trim}: freed native memory goes back to the system between phases. */
    private interface C extends Library {
        int malloc_trim(long pad);
    }

    private static final C LIBC = load();

    private Memory() {}

    private static C load() {
        try {
            return Native.load("c", C.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    /** Current resident set in bytes (0 where /proc is unavailable). */
    static long resident() {
        return status("VmRSS:");
    }

    /** Highest resident set since the last {@link #resetPeak()}, in bytes. */
    static long peak() {
        return status("VmHWM:");
    }

    /** Returns freed memory to the system and restarts the high-water mark. */
    static void resetPeak() {
        System.gc();
        if (LIBC != null) {
            LIBC.malloc_trim(0);
        }
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // Not Linux, or not allowed: peaks then run from the process start.
        }
    }

    /**
     * Minor page faults of this process so far (field 10 of {@code /proc/self/stat}; 0 where unavailable):
     * each one is a page the kernel had to map, what large fresh allocations cost.
     */
    static long minorPageFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // The command name in field 2 may contain spaces; fields after its closing parenthesis are plain.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[7]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Bytes of the Java heap in use. */
    static long heapUsed() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}

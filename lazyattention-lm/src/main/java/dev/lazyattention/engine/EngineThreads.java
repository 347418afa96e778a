package dev.lazyattention.engine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many threads libtorch may use inside one operation (its intra-op threads), the same setting in every
 * front end ({@code --threads}, {@code lazylm.threads}, OpenNLP's {@code -threads}, Spark's {@code threads}).
 *
 * <p><b>The default rule.</b> Code that calls the engine from several threads at once (CoreNLP's {@code
 * lazylm.nthreads}, a CoreNLP server's request threads, Spark tasks sharing an executor) must not let each of
 * them use every core: {@code concurrent callers x intra-op threads <= cores}. Without a value, the count is
 * {@link #defaultThreads(int, int) max(1, cores / concurrent callers)}: all the cores for one caller (a {@code
 * lazyattn} command), one thread for a server with a request thread per core. libtorch's own default, one
 * thread per core whatever the number of callers, oversubscribes the cores, and every operation then waits
 * for descheduled threads (docs/performance.md, "Threads").
 *
 * <p><b>How it reaches libtorch.</b> DJL's PyTorch engine reads the system property {@value #PROPERTY} once,
 * when it starts (else libtorch takes {@value #OMP_ENVIRONMENT}, else one thread per core), so {@link #apply}
 * runs before anything starts the engine (the front ends call it before they resolve a device or load a
 * model), and:
 *
 * <ul>
 *   <li>sets {@value #PROPERTY} to the requested count, or to the default rule's;
 *   <li>never overrides what the user set: a {@value #PROPERTY} given with {@code -D}, or {@value
 *       #OMP_ENVIRONMENT} in the environment, stays in effect (a different requested value is refused
 *       with a warning that names both);
 *   <li>decides once per JVM: a later call that asks for another count gets a warning naming its setting
 *       and the count in effect.
 * </ul>
 *
 * The inter-op pool is left alone: it runs only TorchScript forks, which these models never use. Only system
 * properties are set, so no engine class is named. Code that starts the engine before the first {@link #apply}
 * of the JVM fixes libtorch's count without this class knowing; it then reports what it would have set.
 */
public final class EngineThreads {

    /** The system property DJL's PyTorch engine passes to libtorch's {@code set_num_threads} at start. */
    public static final String PROPERTY = "ai.djl.pytorch.num_threads";
    /** The environment variable libtorch (OpenMP) reads when {@link #PROPERTY} is not set. */
    public static final String OMP_ENVIRONMENT = "OMP_NUM_THREADS";

    private static final Logger LOG = LoggerFactory.getLogger(EngineThreads.class);

    /** The first decision of this JVM: the count libtorch runs with. */
    private static Decision fixed;

    private EngineThreads() {}

    /** Where the count in effect came from. */
    public enum Source {
        /** A front end's setting ({@code --threads}, {@code lazylm.threads}, ...). */
        REQUESTED,
        /** {@link #defaultThreads(int, int)}. */
        DEFAULT_RULE,
        /** {@value #PROPERTY}, set by the user. */
        SYSTEM_PROPERTY,
        /** {@value #OMP_ENVIRONMENT}, set by the user. */
        ENVIRONMENT
    }

    /**
     * What {@link #apply} decided.
     *
     * @param threads libtorch's intra-op threads
     * @param source where the count came from
     * @param key the setting it came from ({@code --threads}, {@code lazylm.threads}, {@code -D...}), for messages
     * @param setProperty whether {@link #PROPERTY} is to be set to {@code threads}
     * @param warning what the user should know (a request that cannot take effect), or null
     */
    public record Decision(int threads, Source source, String key, boolean setProperty, String warning) {

        /** {@code 2 (--threads)}, {@code 1 (the default: 2 cores / 2 concurrent callers)}. */
        public String describe() {
            return threads + " (" + key + ")";
        }
    }

    /**
     * Reads a thread count as a front end received it.
     *
     * @param key the front end's name of the setting, for the message
     * @throws IllegalArgumentException naming {@code key} for anything but a whole number >= 1
     */
    public static int parse(String text, String key) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException(key + " is empty; leave it out for the default");
        }
        int n;
        try {
            n = Integer.parseInt(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + t + ": expected a whole number of threads >= 1", e);
        }
        check(n, key);
        return n;
    }

    /**
     * Checks a thread count.
     *
     * @throws IllegalArgumentException naming {@code key} when {@code threads < 1}
     */
    public static void check(int threads, String key) {
        if (threads < 1) {
            throw new IllegalArgumentException(key + " must be >= 1 (threads libtorch may use in one operation), got "
                    + threads);
        }
    }

    /** This machine's cores as the JVM sees them ({@link Runtime#availableProcessors()}). */
    public static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * The default rule: {@code max(1, cores / concurrentCallers)}, so that {@code concurrentCallers x threads
     * <= cores} whenever there are no more callers than cores (beyond that, one thread each).
     *
     * @param concurrentCallers threads that may call the engine at once (1 for a single-threaded program)
     */
    public static int defaultThreads(int cores, int concurrentCallers) {
        return Math.max(1, Math.max(1, cores) / Math.max(1, concurrentCallers));
    }

    /**
     * Fixes libtorch's intra-op threads for this JVM, before the engine starts (see the class comment).
     *
     * @param requested the front end's value, or null for the default rule
     * @param concurrentCallers threads that may call the engine at once, for the default rule
     * @param key the front end's name of the setting ({@code --threads}, {@code lazylm.threads}), for messages
     * @return the decision; its warning, if any, has been logged
     * @throws IllegalArgumentException for a requested count below 1, or a {@value #PROPERTY} that is not a
     *     whole number >= 1 (DJL would ignore text and libtorch refuse 0)
     */
    public static Decision apply(Integer requested, int concurrentCallers, String key) {
        return apply(requested, concurrentCallers, cores(), key);
    }

    /**
     * {@link #apply(Integer, int, String)} with a budget of {@code cores} instead of this machine's (a Spark
     * executor given fewer cores than its machine has).
     */
    public static synchronized Decision apply(Integer requested, int concurrentCallers, int cores, String key) {
        Decision d = decide(requested, concurrentCallers, cores, key, System.getProperty(PROPERTY),
                System.getenv(OMP_ENVIRONMENT), fixed);
        if (d.setProperty()) {
            System.setProperty(PROPERTY, Integer.toString(d.threads()));
        }
        if (d.warning() != null) {
            LOG.warn(d.warning());
        }
        if (fixed == null) {
            fixed = d;
        }
        return d;
    }

    /** The count fixed in this JVM by the first {@link #apply}, or null before it. */
    public static synchronized Decision current() {
        return fixed;
    }

    /**
     * The decision {@link #apply} takes, without side effects.
     *
     * @param property {@value #PROPERTY} as set now, or null
     * @param environment {@value #OMP_ENVIRONMENT}, or null
     * @param earlier the JVM's first decision, or null if this is the first
     */
    static Decision decide(Integer requested, int concurrentCallers, int cores, String key, String property,
            String environment, Decision earlier) {
        if (requested != null) {
            check(requested, key);
        }
        if (earlier != null) {
            String warning = null;
            if (requested != null && requested != earlier.threads()) {
                warning = key + "=" + requested + " cannot take effect: libtorch's intra-op threads are already fixed"
                        + " at " + earlier.describe() + " in this JVM (the engine reads the count once, when it"
                        + " starts); give the count where the engine is first used";
            } else if (requested == null && (long) earlier.threads() * concurrentCallers > Math.max(1, cores)) {
                warning = concurrentCallers + " concurrent callers x " + earlier.describe() + " intra-op threads"
                        + " oversubscribe the " + cores + " cores (libtorch's count is already fixed in this JVM);"
                        + " set " + key + " where the engine is first used";
            }
            return new Decision(earlier.threads(), earlier.source(), earlier.key(), false, warning);
        }
        int wanted = requested != null ? requested : defaultThreads(cores, concurrentCallers);
        String wantedKey = requested != null ? key
                : "the default: " + cores + " cores / " + Math.max(1, concurrentCallers) + " concurrent caller"
                        + (concurrentCallers == 1 ? "" : "s");
        if (property != null && !property.isBlank()) {
            int threads = parse(property, "-D" + PROPERTY);
            return kept(threads, Source.SYSTEM_PROPERTY, "-D" + PROPERTY, requested, key);
        }
        Integer omp = ompThreads(environment);
        if (omp != null) {
            return kept(omp, Source.ENVIRONMENT, OMP_ENVIRONMENT, requested, key);
        }
        return new Decision(wanted, requested != null ? Source.REQUESTED : Source.DEFAULT_RULE, wantedKey, true, null);
    }

    /**
     * The outermost count of an {@value #OMP_ENVIRONMENT} value ({@code 4} of {@code 4,2}), or null when it
     * holds none: OpenMP ignores such a value, and so does this class (it may be meant for other programs).
     */
    static Integer ompThreads(String environment) {
        if (environment == null) {
            return null;
        }
        String first = environment.split(",", -1)[0].trim();
        try {
            int n = Integer.parseInt(first);
            return n >= 1 ? n : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The user's own setting stays; a different request is reported, naming both. */
    private static Decision kept(int threads, Source source, String userKey, Integer requested, String key) {
        String warning = requested != null && requested != threads
                ? key + "=" + requested + " is not applied: " + userKey + "=" + threads
                        + " was set for this JVM and stays in effect; remove it to let " + key + " decide"
                : null;
        return new Decision(threads, source, userKey, false, warning);
    }
}

package dev.lazyattention.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cores an executor may use and the tasks it runs at once (each scoring with the shared model), for the
 * default of libtorch's intra-op threads, {@code max(1, cores / tasks)}:
 *
 * <ul>
 *   <li>with {@code spark.executor.cores}: those cores, for {@code spark.executor.cores / spark.task.cpus}
 *       tasks (so each task gets about {@code spark.task.cpus} threads);
 *   <li>{@code local[N]} or {@code local[*]}: the machine's cores, for N tasks ({@code local}: 1);
 *   <li>otherwise (a standalone worker's default executor): the machine's cores, for {@code cores /
 *       spark.task.cpus} tasks.
 * </ul>
 */
final class TaskSlots {

    private static final Pattern LOCAL = Pattern.compile("local\\[(\\d+|\\*)(,\\d+)?]");
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\d+,(\\d+),\\d+]");

    /** An executor's cores and its concurrent tasks. */
    record Budget(int cores, int tasks) {

        /** The default rule's threads per task. */
        int threadsPerTask() {
            return dev.lazyattention.engine.EngineThreads.defaultThreads(cores, tasks);
        }
    }

    private TaskSlots() {}

    /** This JVM's budget by its Spark configuration; all of {@code cores} for one task outside Spark. */
    static Budget ofThisExecutor(int cores) {
        SparkEnv env = SparkEnv.get();
        if (env == null) {
            return new Budget(cores, 1);
        }
        SparkConf conf = env.conf();
        Integer executorCores = conf.contains("spark.executor.cores") ? conf.getInt("spark.executor.cores", 1) : null;
        return of(conf.get("spark.master", ""), executorCores, conf.getInt("spark.task.cpus", 1), cores);
    }

    /**
     * An executor's budget.
     *
     * @param executorCores {@code spark.executor.cores}, or null when not set
     * @param cores the machine's cores
     */
    static Budget of(String master, Integer executorCores, int taskCpus, int cores) {
        int perTask = Math.max(1, taskCpus);
        if (executorCores != null) {
            int executor = Math.max(1, executorCores);
            return new Budget(executor, Math.max(1, executor / perTask));
        }
        if (master.equals("local")) {
            return new Budget(cores, 1);
        }
        Matcher local = LOCAL.matcher(master);
        if (local.matches()) {
            return new Budget(cores, local.group(1).equals("*") ? cores : Math.max(1, Integer.parseInt(local.group(1))));
        }
        Matcher cluster = LOCAL_CLUSTER.matcher(master);
        if (cluster.matches()) {
            int executor = Math.max(1, Integer.parseInt(cluster.group(1)));
            return new Budget(executor, Math.max(1, executor / perTask));
        }
        return new Budget(cores, Math.max(1, cores / perTask));
    }
}

package dev.lazyattention.spark;

import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.engine.DjlSetup;
import dev.lazyattention.engine.EngineThreads;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models of this JVM, one per (model path, device): every task of an executor shares one copy, loaded by
 * the first task that needs it, so a model is read once per executor rather than once per task or partition.
 * Models stay loaded for the life of the JVM (an executor runs one application). {@link LazyLanguageModel} is
 * thread-safe, so concurrent tasks score with the same instance.
 */
final class ExecutorModels {

    private static final Map<String, LazyLanguageModel> MODELS = new ConcurrentHashMap<>();

    static {
        // Executors never run a main of ours, so the first model they load sets DJL up.
        DjlSetup.offline();
    }

    private ExecutorModels() {}

    /**
     * The model of {@code config} (its path resolved by {@link ModelLocation}) on its device, loaded on first
     * use. Before the first model of the JVM loads, libtorch's intra-op threads are fixed: {@link
     * ScoringConfig#threads()}, else the executor's cores divided by its concurrent tasks ({@link TaskSlots}).
     * @throws ModelNotFoundException if the file is nowhere to be found
     * @throws UncheckedIOException if the file cannot be read or is not a valid model file (the message names it)
     */
    static LazyLanguageModel get(ScoringConfig config) {
        Path file = ModelLocation.resolve(config.model()).toAbsolutePath().normalize();
        return MODELS.computeIfAbsent(file + "@" + config.device(), key -> {
            TaskSlots.Budget budget = TaskSlots.ofThisExecutor(EngineThreads.cores());
            EngineThreads.apply(config.threads(), budget.tasks(), budget.cores(), "threads");
            try {
                return LazyLanguageModel.load(file, config.resolvedDevice("device"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load model " + config.model() + ": " + e.getMessage(), e);
            }
        });
    }
}

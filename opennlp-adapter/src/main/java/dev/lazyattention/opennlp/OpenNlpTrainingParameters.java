package dev.lazyattention.opennlp;

import dev.lazyattention.engine.EngineThreads;
import dev.lazyattention.names.ClosestName;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.train.TrainConfig;
import opennlp.tools.util.TrainingParameters;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@link TrainingParameters} that {@link LazyAttentionModel#train} understands, read and checked before
 * any work starts, and mapped onto the {@link TrainConfig} of the {@link dev.lazyattention.train.TrainingRecipe}
 * by its table ({@link FrontEnd#OPENNLP}): OpenNLP's own {@code Iterations} (or {@code
 * lazylm.steps}; when both are given they must agree) is the number of steps; every other setting is {@code
 * lazylm.<key>}, with the recipe's default (docs/settings.md lists them). The language is {@code train}'s
 * argument. Besides the recipe's settings:
 *
 * <ul>
 *   <li>{@code lazylm.outputDir}: folder for the checkpoint, the metrics log and the model file (default: a
 *       temporary folder, deleted after training succeeds);
 *   <li>{@code lazylm.threads}: threads libtorch may use inside one operation (default: one per core; see
 *       {@link EngineThreads}); fixed for the JVM when the parameters are read, before the engine starts.
 * </ul>
 *
 * <p>Values may be numbers or text (as read from a parameters file). OpenNLP's {@code Algorithm}, {@code
 * TrainerType}, {@code Cutoff} and {@code Threads} do not apply to this model and are ignored; an unknown
 * {@code lazylm.} name, or a near miss of {@code Iterations}, is refused with the closest known name, so that
 * a misspelt option does not silently fall back to its default.
 */
public final class OpenNlpTrainingParameters {

    /** OpenNLP's iteration count: the number of optimizer steps. */
    public static final String ITERATIONS = "Iterations";
    /** Namespace of this model's parameters. */
    public static final String NAMESPACE = "lazylm";
    public static final String OUTPUT_DIR = "lazylm.outputDir";
    /** libtorch's intra-op threads, {@link EngineThreads}. */
    public static final String THREADS = "lazylm.threads";

    /** OpenNLP's general parameters, which do not apply here and are ignored. */
    private static final Set<String> OPENNLP_GENERAL = Set.of("Algorithm", "TrainerType", "Cutoff", "Threads");

    private final TrainConfig recipe;
    private final Path outputDir;
    private final Integer threads;

    private OpenNlpTrainingParameters(TrainingParameters params) {
        Map<String, Object> top = params.getObjectSettings();
        Map<String, Object> own = params.getObjectSettings(NAMESPACE);
        refuseUnknown(top, own);
        Object threadCount = own.get("threads");
        threads = threadCount == null ? null : EngineThreads.parse(threadCount.toString(), THREADS);
        // Now: checking lazylm.device below starts the engine, which reads the count once.
        EngineThreads.apply(threads, 1, THREADS);
        recipe = TrainConfig.SETTINGS.bind(TrainConfig.DEFAULTS, FrontEnd.OPENNLP, name -> name.equals(ITERATIONS)
                ? top.get(ITERATIONS) : own.get(name.substring(NAMESPACE.length() + 1)));
        outputDir = folder(own.get("outputDir"));
    }

    /**
     * Reads and checks the parameters.
     *
     * @param params the parameters, or null for all defaults
     * @throws IllegalArgumentException naming the first parameter whose value is bad
     */
    public static OpenNlpTrainingParameters from(TrainingParameters params) {
        return new OpenNlpTrainingParameters(params == null ? new TrainingParameters() : params);
    }

    /** Refuses an unknown {@code lazylm.} name, or a near miss of {@code Iterations}, naming the closest. */
    private static void refuseUnknown(Map<String, Object> top, Map<String, Object> own) {
        List<String> known = new ArrayList<>(TrainConfig.SETTINGS.names(FrontEnd.OPENNLP));
        known.remove(ITERATIONS);
        known.add(OUTPUT_DIR);
        known.add(THREADS);
        for (String key : own.keySet()) {
            String full = NAMESPACE + "." + key;
            if (!known.contains(full)) {
                throw new IllegalArgumentException("unknown training parameter " + full + "; did you mean "
                        + ClosestName.closest(full, known) + "? (known: " + String.join(", ", known) + ")");
            }
        }
        for (String key : top.keySet()) {
            if (!key.contains(".") && !key.equals(ITERATIONS) && !OPENNLP_GENERAL.contains(key)
                    && ClosestName.distance(key.toLowerCase(Locale.ROOT), ITERATIONS.toLowerCase(Locale.ROOT)) <= 2) {
                throw new IllegalArgumentException("unknown training parameter " + key + "; did you mean "
                        + ITERATIONS + "?");
            }
        }
    }

    /** The recipe's settings these parameters give (defaults for those not given). */
    public TrainConfig recipeSettings() {
        return recipe;
    }

    /** {@code lazylm.threads}, or null for the default rule. */
    public Integer threads() {
        return threads;
    }

    /** The output folder, or null for a temporary one. */
    public Path outputDir() {
        return outputDir;
    }

    private static Path folder(Object value) {
        if (value == null) {
            return null;
        }
        String text = value.toString().trim();
        if (text.isEmpty()) {
            throw new IllegalArgumentException(OUTPUT_DIR + " is empty; leave it out for the default");
        }
        Path p;
        try {
            p = Path.of(text);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(OUTPUT_DIR + ": '" + text + "' is not a valid path", e);
        }
        if (Files.exists(p) && !Files.isDirectory(p)) {
            throw new IllegalArgumentException(OUTPUT_DIR + ": " + p + " exists and is not a folder");
        }
        return p;
    }
}

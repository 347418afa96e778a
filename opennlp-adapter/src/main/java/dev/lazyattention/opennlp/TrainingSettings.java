package dev.lazyattention.opennlp;

import ai.djl.Device;
import dev.lazyattention.lm.EngineThreads;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.train.ClosestName;
import dev.lazyattention.train.TrainOptions;
import opennlp.tools.util.TrainingParameters;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@link TrainingParameters} that {@link LazyAttentionModel#train} understands, read and checked before
 * any work starts, and mapped onto the settings of the {@link dev.lazyattention.train.TrainingRecipe} ({@link
 * dev.lazyattention.train.TrainingSettings}): OpenNLP's own {@code Iterations} is the number of steps;
 * every other setting is {@code lazylm.<name>} under its canonical name, with the recipe's default (the
 * README's "Training settings" table lists them). The language is {@code train}'s argument. Besides the
 * recipe's settings:
 *
 * <ul>
 *   <li>{@code lazylm.outputDir}: folder for the checkpoint, the metrics log and the model file (default: a
 *       temporary folder, deleted after training succeeds);
 *   <li>{@code lazylm.threads}: threads libtorch may use inside one operation (default: one per core; see
 *       {@link EngineThreads}); fixed for the JVM when the parameters are read, before the engine starts;
 *   <li>aliases, accepted alike: {@code lazylm.progressBar} for {@code lazylm.progress}, and {@code
 *       lazylm.steps} for {@code Iterations} (when both are given they must agree).
 * </ul>
 *
 * <p>Values may be numbers or text (as read from a parameters file). OpenNLP's {@code Algorithm}, {@code
 * TrainerType}, {@code Cutoff} and {@code Threads} do not apply to this model and are ignored; an unknown
 * {@code lazylm.} name, or a near miss of {@code Iterations}, is refused with the closest known name, so that
 * a misspelt option does not silently fall back to its default.
 */
public final class TrainingSettings {

    /** OpenNLP's iteration count: the number of optimizer steps. */
    public static final String ITERATIONS = TrainingParameters.ITERATIONS_PARAM;
    /** Namespace of this model's parameters. */
    public static final String NAMESPACE = "lazylm";
    public static final String PRESET = "lazylm.preset";
    public static final String ATTENTION = "lazylm.attention";
    public static final String VOCAB_SIZE = "lazylm.vocabSize";
    public static final String CONTEXT_LENGTH = "lazylm.contextLength";
    public static final String SEED = "lazylm.seed";
    public static final String LEARNING_RATE = "lazylm.learningRate";
    public static final String BATCH_SIZE = "lazylm.batchSize";
    public static final String GRAD_ACCUM = "lazylm.gradAccum";
    public static final String WARMUP_STEPS = "lazylm.warmupSteps";
    public static final String WEIGHT_DECAY = "lazylm.weightDecay";
    public static final String DEVICE = "lazylm.device";
    public static final String OUTPUT_DIR = "lazylm.outputDir";
    /** libtorch's intra-op threads, {@link EngineThreads}. */
    public static final String THREADS = "lazylm.threads";
    public static final String PROGRESS = "lazylm.progress";
    /** An alias of {@link #PROGRESS}, accepted alike. */
    public static final String PROGRESS_BAR = "lazylm.progressBar";

    /** Aliases under {@code lazylm.}, and the canonical name each stands for. */
    static final Map<String, String> ALIASES = Map.of("progressBar", "progress", "steps", "steps");

    /** OpenNLP's general parameters, which do not apply here and are ignored. */
    private static final Set<String> OPENNLP_GENERAL = Set.of("Algorithm", "TrainerType", "Cutoff", "Threads");

    static final int DEFAULT_ITERATIONS = dev.lazyattention.train.TrainingSettings.STEPS.defaultValue();
    static final String DEFAULT_PRESET = dev.lazyattention.train.TrainingSettings.DEFAULT_PRESET;

    private final dev.lazyattention.train.TrainingSettings recipe;
    private final Path outputDir;
    private final Integer threads;

    private TrainingSettings(TrainingParameters params) {
        Map<String, Object> top = params.getObjectSettings();
        Map<String, Object> own = params.getObjectSettings(NAMESPACE);
        refuseUnknown(top, own);
        Object threadCount = own.get("threads");
        threads = threadCount == null ? null : EngineThreads.parse(threadCount.toString(), THREADS);
        // Now: checking lazylm.device below starts the engine, which reads the count once.
        EngineThreads.apply(threads, 1, THREADS);
        dev.lazyattention.train.TrainingSettings.Builder b = dev.lazyattention.train.TrainingSettings.builder();
        for (dev.lazyattention.train.TrainingSettings.Setting<?> s : dev.lazyattention.train.TrainingSettings.all()) {
            if (s == dev.lazyattention.train.TrainingSettings.LANGUAGE) {
                continue; // train's argument
            }
            Map.Entry<String, Object> given = given(s, top, own);
            if (given != null) {
                b.optText(s.name(), given.getValue().toString(), given.getKey());
            }
        }
        recipe = b.build(TrainingSettings::parameterOf);
        outputDir = folder(own.get("outputDir"));
    }

    /**
     * Reads and checks the parameters.
     *
     * @param params the parameters, or null for all defaults
     * @throws IllegalArgumentException naming the first parameter whose value is bad
     */
    public static TrainingSettings from(TrainingParameters params) {
        return new TrainingSettings(params == null ? new TrainingParameters() : params);
    }

    /** The OpenNLP parameter of a recipe setting, or null for the language (an argument of {@code train}). */
    public static String parameter(dev.lazyattention.train.TrainingSettings.Setting<?> setting) {
        if (setting == dev.lazyattention.train.TrainingSettings.LANGUAGE) {
            return null;
        }
        return parameterOf(setting.name());
    }

    /** Further parameter names accepted for a recipe setting (its aliases). */
    public static List<String> parameterAliases(dev.lazyattention.train.TrainingSettings.Setting<?> setting) {
        List<String> aliases = new ArrayList<>();
        for (Map.Entry<String, String> alias : ALIASES.entrySet()) {
            if (alias.getValue().equals(setting.name()) && !parameterOf(setting.name()).equals(NAMESPACE + "." + alias.getKey())) {
                aliases.add(NAMESPACE + "." + alias.getKey());
            }
        }
        aliases.sort(null);
        return aliases;
    }

    private static String parameterOf(String name) {
        return name.equals(dev.lazyattention.train.TrainingSettings.STEPS.name()) ? ITERATIONS : NAMESPACE + "." + name;
    }

    /** The value given for {@code s} and the parameter it was given as, or null. */
    private static Map.Entry<String, Object> given(dev.lazyattention.train.TrainingSettings.Setting<?> s,
            Map<String, Object> top, Map<String, Object> own) {
        Map<String, Object> found = new LinkedHashMap<>();
        if (s == dev.lazyattention.train.TrainingSettings.STEPS) {
            put(found, ITERATIONS, top.get(ITERATIONS));
            put(found, NAMESPACE + ".steps", own.get("steps"));
        } else {
            put(found, NAMESPACE + "." + s.name(), own.get(s.name()));
            for (Map.Entry<String, String> alias : ALIASES.entrySet()) {
                if (alias.getValue().equals(s.name()) && !alias.getKey().equals(s.name())) {
                    put(found, NAMESPACE + "." + alias.getKey(), own.get(alias.getKey()));
                }
            }
        }
        if (found.size() > 1 && found.values().stream().map(v -> v.toString().trim()).distinct().count() > 1) {
            throw new IllegalArgumentException(String.join(" and ", found.keySet()) + " say the same thing and "
                    + "differ (" + found.values() + "); give one of them");
        }
        return found.isEmpty() ? null : found.entrySet().iterator().next();
    }

    private static void put(Map<String, Object> found, String key, Object value) {
        if (value != null) {
            found.put(key, value);
        }
    }

    /** Refuses an unknown {@code lazylm.} name, or a near miss of {@code Iterations}, naming the closest. */
    private static void refuseUnknown(Map<String, Object> top, Map<String, Object> own) {
        List<String> known = new ArrayList<>();
        for (dev.lazyattention.train.TrainingSettings.Setting<?> s : dev.lazyattention.train.TrainingSettings.all()) {
            String p = parameter(s);
            if (p != null) {
                known.add(p);
            }
        }
        known.add(OUTPUT_DIR);
        known.add(THREADS);
        // The aliases are suggestions too: lazylm.stpes means lazylm.steps (Iterations), not lazylm.seed.
        List<String> suggestions = new ArrayList<>(known);
        for (String alias : ALIASES.keySet()) {
            suggestions.add(NAMESPACE + "." + alias);
        }
        for (String key : own.keySet()) {
            String full = NAMESPACE + "." + key;
            if (!known.contains(full) && !ALIASES.containsKey(key)) {
                throw new IllegalArgumentException("unknown training parameter " + full + "; did you mean "
                        + ClosestName.closest(full, suggestions) + "? (known: " + String.join(", ", known) + ")");
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
    public dev.lazyattention.train.TrainingSettings recipeSettings() {
        return recipe;
    }

    /** The architecture for a tokenizer of {@code vocabularySize} tokens. */
    LmConfig config(int vocabularySize) {
        return recipe.config(vocabularySize);
    }

    /** The block's training options. */
    TrainOptions trainOptions() {
        return recipe.trainOptions();
    }

    public int iterations() {
        return recipe.steps();
    }

    /** The tokenizer size: {@code lazylm.vocabSize} or the preset's. */
    public int vocabSize() {
        return recipe.resolvedVocabSize();
    }

    public long seed() {
        return recipe.seed();
    }

    public Device device() {
        return recipe.device();
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

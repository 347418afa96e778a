package dev.lazyattention.serving;

import dev.lazyattention.engine.MissingEngineException;
import dev.lazyattention.modelfile.ModelContents;
import dev.lazyattention.modelfile.ModelEntries;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelFileException;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.util.Utils;
import dev.lazyattention.model.LazyLmBlock;
import dev.lazyattention.model.LmConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Lets DJL's {@code Criteria} build the {@link LazyLmBlock} of a model file: {@code serving.properties} names this
 * class as {@code blockFactory}. The folder is verified with the checks of every other loader ({@link
 * ModelFile#readDirectory}, {@link ModelContents}) before DJL reads the parameters. Load through {@link
 * LazyLmCriteria} so that the zip is verified before anything is unpacked: given a zip, plain {@code
 * Criteria.optModelPath} hands this factory DJL's unpacked copy, so a refusal can only name that copy (it
 * then says so and points to {@code LazyLmCriteria}).
 */
public final class LazyLmBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /** Added to a refusal of DJL's unpacked copy of a zip, which is not the path the user gave. */
    static final String UNPACKED_HINT = " (this folder is DJL's unpacked copy of the zip given to"
            + " Criteria.optModelPath; load the file with LazyLmCriteria.builder(file), which checks the file itself"
            + " before anything is unpacked and names it)";

    /** {@inheritDoc} */
    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) throws IOException {
        MissingEngineException.check(); // without it DJL's default engine would take the model and fail later
        LmConfig config;
        try {
            ModelEntries entries = ModelFile.readDirectory(modelPath);
            config = ModelContents.check(entries, modelPath.toString()).config();
        } catch (ModelFileException e) {
            if (!isUnpackedByDjl(modelPath)) {
                throw e;
            }
            throw new ModelFileException(e.file(), e.entry(), e.problem() + UNPACKED_HINT, e);
        }
        model.setProperty("contextLength", Integer.toString(config.contextLength()));
        return new LazyLmBlock(config);
    }

    /** Whether DJL unpacked this folder into its cache (not {@link LazyLmCriteria}'s verified folders). */
    static boolean isUnpackedByDjl(Path modelPath) {
        Path cache = Utils.getCacheDir().toAbsolutePath().normalize();
        Path path = modelPath.toAbsolutePath().normalize();
        return path.startsWith(cache) && !path.startsWith(cache.resolve(LazyLmCriteria.FOLDER));
    }
}

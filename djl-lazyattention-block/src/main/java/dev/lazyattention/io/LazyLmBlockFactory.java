package dev.lazyattention.io;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import dev.lazyattention.model.LazyLm;
import dev.lazyattention.model.LmConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Lets DJL's {@code Criteria} build the {@link LazyLm} of a model file: {@code serving.properties} names this
 * class as {@code blockFactory}. The unpacked entries are verified against their checksums first, so DJL
 * refuses a corrupt file just as the other loaders do.
 */
public final class LazyLmBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /** {@inheritDoc} */
    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) throws IOException {
        ModelEntries entries = ModelFile.readDirectory(modelPath);
        try {
            LmConfig config = LmConfig.fromJson(entries.text(ModelFileFormat.CONFIG), ModelFileFormat.CONFIG);
            ModelFile.checkParameters(entries.get(ModelFileFormat.PARAMETERS), config, modelPath.toString());
            model.setProperty("contextLength", Integer.toString(config.contextLength()));
            return new LazyLm(config);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(modelPath.toString(), ModelFileFormat.CONFIG, e.getMessage(), e);
        }
    }
}

package dev.lazyattention.io;

import dev.lazyattention.lm.ModelContents;
import dev.lazyattention.lm.ModelEntries;
import dev.lazyattention.lm.ModelFile;

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
 * class as {@code blockFactory}. The folder is verified with the checks of every other loader ({@link
 * ModelFile#readDirectory}, {@link ModelContents}) before DJL reads the parameters. Load through {@link
 * LazyLmCriteria} so that the zip is verified before anything is unpacked.
 */
public final class LazyLmBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /** {@inheritDoc} */
    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) throws IOException {
        ModelEntries entries = ModelFile.readDirectory(modelPath);
        LmConfig config = ModelContents.check(entries, modelPath.toString()).config();
        model.setProperty("contextLength", Integer.toString(config.contextLength()));
        return new LazyLm(config);
    }
}

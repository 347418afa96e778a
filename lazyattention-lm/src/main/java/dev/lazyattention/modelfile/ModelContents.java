package dev.lazyattention.modelfile;

import dev.lazyattention.model.LmConfig;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.TokenizerJson;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Properties;

/**
 * The checks of a model file's contents that every loader runs after the container checks of {@link
 * ModelFile} and before any tensor exists: the configuration's ranges, the tokenizer against the
 * configuration, the manifest's component, and the parameters against the configuration. One place, so
 * that {@code LazyLanguageModel.load}, DJL's {@code Criteria}, CoreNLP and OpenNLP refuse the same files
 * with the same messages.
 */
public final class ModelContents {

    /** What the checks read, for the loader that asked. */
    public record Checked(LmConfig config, BpeTokenizer tokenizer, String language) {}

    private ModelContents() {}

    /** Checks verified entries; a refusal names {@code source} and the entry. */
    public static Checked check(ModelEntries entries, String source) throws ModelFileException {
        LmConfig config;
        try {
            config = LmConfig.fromJson(entries.text(ModelFileFormat.CONFIG), ModelFileFormat.CONFIG);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(source, ModelFileFormat.CONFIG, e.getMessage(), e);
        }
        BpeTokenizer tokenizer;
        try {
            // Sized and counted against config.json before it is parsed: a hostile file costs little memory.
            tokenizer = TokenizerJson.read(new ByteArrayInputStream(entries.get(ModelFileFormat.TOKENIZER)),
                    ModelFileFormat.TOKENIZER, config.vocabSize());
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelFileException(source, ModelFileFormat.TOKENIZER, e.getMessage(), e);
        }
        if (tokenizer.vocabSize() != config.vocabSize()) {
            throw new ModelFileException(source, ModelFileFormat.TOKENIZER, "has " + tokenizer.vocabSize()
                    + " tokens but config.json says vocabSize " + config.vocabSize());
        }
        String language = manifestLanguage(entries, source);
        ModelFile.checkParameters(entries.get(ModelFileFormat.PARAMETERS), config, source);
        return new Checked(config, tokenizer, language);
    }

    /** The manifest's language; refuses a manifest of another component. */
    private static String manifestLanguage(ModelEntries entries, String source) throws ModelFileException {
        Properties p = new Properties();
        try {
            p.load(new ByteArrayInputStream(entries.get(ModelFileFormat.MANIFEST)));
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelFileException(source, ModelFileFormat.MANIFEST, "not a properties file: " + e.getMessage(), e);
        }
        String component = p.getProperty("Component-Name");
        if (component != null && !component.equals(ModelFileFormat.COMPONENT_NAME)) {
            throw new ModelFileException(source, ModelFileFormat.MANIFEST, "names component " + component
                    + ", not " + ModelFileFormat.COMPONENT_NAME);
        }
        return p.getProperty("Language", "und");
    }
}

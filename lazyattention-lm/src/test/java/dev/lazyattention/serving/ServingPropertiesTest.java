package dev.lazyattention.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.BlockFactory;
import ai.djl.translate.TranslatorFactory;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.modelfile.ModelFileFormat;
import dev.lazyattention.testing.TinyModels;
import java.io.ByteArrayInputStream;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The classes a model file's {@code serving.properties} names for DJL are this package's, by their real names. */
class ServingPropertiesTest {

    @Test
    void theNamesTheModelFileWritesAreTheseClasses() {
        assertEquals(LazyLmBlockFactory.class.getName(), ModelFileFormat.BLOCK_FACTORY);
        assertEquals(LazyLmTranslatorFactory.class.getName(), ModelFileFormat.TRANSLATOR_FACTORY);
        assertEquals(LazyLmCriteria.class.getName(), ModelFileFormat.CRITERIA);
    }

    @Test
    void aSavedModelsServingPropertiesNameFactoriesDjlCanBuild() throws Exception {
        Properties serving = new Properties();
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 3)) {
            serving.load(new ByteArrayInputStream(lm.toEntries(Map.of()).get(ModelFileFormat.SERVING)));
        }
        assertEquals(ModelFileFormat.DJL_MODEL_NAME, serving.getProperty("option.modelName"));
        Class<?> block = Class.forName(serving.getProperty("blockFactory"));
        Class<?> translator = Class.forName(serving.getProperty("translatorFactory"));
        assertTrue(BlockFactory.class.isAssignableFrom(block), block.getName());
        assertTrue(TranslatorFactory.class.isAssignableFrom(translator), translator.getName());
        assertEquals(LazyLmBlockFactory.class, block);
        assertEquals(LazyLmTranslatorFactory.class, translator);
    }
}

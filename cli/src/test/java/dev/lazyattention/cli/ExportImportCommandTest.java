package dev.lazyattention.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lazyattn export} and {@code lazyattn import}: a model file to a folder and back, and bad options. */
class ExportImportCommandTest {

    @TempDir
    Path dir;

    @Test
    void exportThenImportGivesTheSameModelAndTheDtypeIsWrittenIntoConfigJson() throws Exception {
        Path model = dir.resolve("m.lazylm.zip");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 3)) {
            lm.save(model, "en");
        }
        Path folder = dir.resolve("hf");
        CommandRun export = CliTest.run("export", "--model", model.toString(), "--out", folder.toString(),
                "--dtype", "bfloat16");
        assertEquals(0, export.code(), export.err());
        JsonObject config = JsonParser.parseString(Files.readString(folder.resolve("config.json"))).getAsJsonObject();
        assertEquals("bfloat16", config.get("torch_dtype").getAsString());
        assertTrue(Files.readString(folder.resolve("README.md")).contains("language: en"));

        Path back = dir.resolve("back.lazylm.zip");
        CommandRun imported = CliTest.run("import", folder.toString(), "--out", back.toString());
        assertEquals(0, imported.code(), imported.err());
        try (LazyLanguageModel a = LazyLanguageModel.load(model, Device.cpu());
                LazyLanguageModel b = LazyLanguageModel.load(back, Device.cpu())) {
            assertEquals(a.config(), b.config());
            assertEquals("en", b.language(), "the language comes back from the model card");
            int[] ids = a.tokenizer().encode("The quick fox sees the dog.");
            assertArrayEquals(ids, b.tokenizer().encode("The quick fox sees the dog."));
        }
    }

    @Test
    void anUnknownDtypeAndAMissingFolderAreRefusedByName() {
        CommandRun dtype = CliTest.run("export", "--model", dir.resolve("none.lazylm.zip").toString(), "--out",
                dir.resolve("x").toString(), "--dtype", "int8");
        assertEquals(1, dtype.code());
        assertTrue(dtype.err().contains("dtype 'int8' is not one of float32, float16, bfloat16"), dtype.err());
        CommandRun missing = CliTest.run("import", dir.resolve("nothing").toString(), "--out",
                dir.resolve("y.lazylm.zip").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nothing"), missing.err());
    }
}

package dev.lazyattention.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.repository.zoo.Criteria;
import dev.lazyattention.engine.DeviceChoice;
import dev.lazyattention.modelfile.ModelFileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What DJL's Criteria says about a missing or foreign model file, with and without LazyLmCriteria. */
class CriteriaRefusalsTest {

    @TempDir
    Path dir;

    /** A zip that is no model: one text entry in a folder. */
    private Path foreignZip() throws IOException {
        Path zip = dir.resolve("notes.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new ZipEntry("notes/readme.txt"));
            out.write("not a model".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return zip;
    }

    @Test
    void lazyLmCriteriaNamesTheMissingOrForeignFileAndTheReason() throws IOException {
        Path missing = dir.resolve("missing.lazylm.zip");
        ModelFileException absent = assertThrows(ModelFileException.class, () -> LazyLmCriteria.builder(missing));
        assertEquals(missing + ": file not found", absent.getMessage());

        Path zip = foreignZip();
        ModelFileException foreign = assertThrows(ModelFileException.class, () -> LazyLmCriteria.builder(zip));
        assertTrue(foreign.getMessage().startsWith(zip + " [notes/readme.txt]: unexpected entry"), foreign.getMessage());

        Path text = dir.resolve("model.lazylm.zip");
        Files.writeString(text, "just text");
        ModelFileException notZip = assertThrows(ModelFileException.class, () -> LazyLmCriteria.builder(text));
        assertTrue(notZip.getMessage().startsWith(text.toString() + ": "), notZip.getMessage());
    }

    @Test
    void plainCriteriaWithOurBlockFactoryNamesTheFolderOrPointsFromDjlsCopyToLazyLmCriteria() throws IOException {
        Path folder = dir.resolve("folder");
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("readme.txt"), "not a model");
        ModelFileException inFolder = assertThrows(ModelFileException.class, () -> plainCriteria(folder).loadModel());
        assertTrue(inFolder.getMessage().startsWith(folder + " [readme.txt]: unexpected entry"), inFolder.getMessage());
        assertFalse(inFolder.getMessage().contains("LazyLmCriteria"), "the folder is the user's own: no hint");

        ModelFileException unpacked = assertThrows(ModelFileException.class, () -> plainCriteria(foreignZip()).loadModel());
        assertTrue(unpacked.getMessage().contains("[readme.txt]: unexpected entry"), unpacked.getMessage());
        assertTrue(unpacked.getMessage().contains("DJL's unpacked copy of the zip given to Criteria.optModelPath")
                && unpacked.getMessage().contains("LazyLmCriteria.builder(file)"), unpacked.getMessage());
    }

    private static Criteria<String, Float> plainCriteria(Path path) {
        return Criteria.builder()
                .setTypes(String.class, Float.class)
                .optModelPath(path)
                .optArgument("blockFactory", LazyLmBlockFactory.class.getName())
                .optTranslatorFactory(new LazyLmTranslatorFactory())
                .optDevice(Device.cpu())
                .build();
    }

    @Test
    void deviceNamesAreResolvedOrRefusedNamingTheOption() {
        assertEquals(Device.cpu(), DeviceChoice.resolve("cpu", "--device"));
        assertEquals(Device.cpu(), DeviceChoice.resolve(" CPU ", "--device"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> DeviceChoice.resolve("tpu", "--device"));
        assertEquals("--device=tpu: expected auto, cpu, gpu or gpu:N", bad.getMessage());
    }
}

package dev.lazyattention.modelfile.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.modelfile.ModelFileException;
import dev.lazyattention.testing.HostileModelFiles;
import dev.lazyattention.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile model folders are refused with the file, the tensor or key, and the reason named. */
class HostileFoldersTest {

    @TempDir
    Path dir;

    @Test
    void everyHostileFolderIsRefusedWithItsReason() throws IOException {
        Path good = dir.resolve("good");
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 3)) {
            lm.exportFolder(good, DataType.FLOAT32);
        }
        try (LazyLanguageModel lm = LazyLanguageModel.load(good, Device.cpu())) {
            assertTrue(lm.parameterCount() > 0, "the good folder loads");
        }
        Map<String, String> reasons = new LinkedHashMap<>();
        reasons.put("a header longer than its bound", "[model.safetensors]: header length 1099511627776 is beyond its"
                + " bound of ");
        reasons.put("offsets outside the file", "[model.safetensors]: tensor lm_head.weight: data_offsets [");
        reasons.put("overlapping offsets", "[model.safetensors]: tensor model.");
        reasons.put("an unknown dtype", "[model.safetensors]: tensor model.norm.weight: dtype I64 is not one of F32, F16,"
                + " BF16");
        reasons.put("a shape that disagrees with config.json", "[model.safetensors]: tensor "
                + "model.layers.0.self_attn.q_proj.weight has shape (32, 128) but config.json implies (64, 64)");
        reasons.put("a NaN weight", "[model.safetensors]: tensor model.norm.weight holds NaN at element 0; a model must"
                + " hold finite numbers");
        reasons.put("sizes in config.json beyond the file", "[config.json]: describes ");
        reasons.put("a tokenizer larger than its vocabulary needs", "[tokenizer.json]: is larger than 270336 bytes, the "
                + "most a vocabulary of 400 tokens needs");
        reasons.put("a symbolic link out of the folder", "[model.safetensors]: is a symbolic link to ");

        Map<String, Path> cases = HostileModelFiles.folders(good, dir);
        assertEquals(reasons.keySet(), cases.keySet());
        for (Map.Entry<String, Path> c : cases.entrySet()) {
            ModelFileException e = assertThrows(ModelFileException.class,
                    () -> LazyLanguageModel.load(c.getValue(), Device.cpu()), c.getKey());
            assertTrue(e.getMessage().startsWith(c.getValue() + " " + reasons.get(c.getKey())),
                    c.getKey() + ": " + e.getMessage());
        }
        String overlap = message(cases.get("overlapping offsets"));
        assertTrue(overlap.contains(" overlaps tensor model."), overlap);
        String sizes = message(cases.get("sizes in config.json beyond the file"));
        assertTrue(sizes.contains("parameters, at least ") && sizes.contains(" bytes, but model.safetensors holds "),
                sizes);
        String link = message(cases.get("a symbolic link out of the folder"));
        assertTrue(link.endsWith(", outside the folder"), link);
    }

    private static String message(Path folder) {
        return assertThrows(ModelFileException.class, () -> LazyLanguageModel.load(folder, Device.cpu())).getMessage();
    }
}

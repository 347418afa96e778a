package dev.lazyattention.modelfile.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.model.LmConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The tensor names and shapes of the code are the ones docs/design.md's table lists, and name every parameter. */
class TensorNamesTest {

    /** GQA, a bias length unlike the context, an MLP width unlike the others: every symbol has its own value. */
    static final LmConfig CONFIG = LmConfig.preset("tiny").with(LmConfig.VOCAB_SIZE, 300).with(LmConfig.NUM_LAYERS, 1)
            .with(LmConfig.HIDDEN_SIZE, 48).with(LmConfig.NUM_HEADS, 4).with(LmConfig.NUM_KV_HEADS, 2)
            .with(LmConfig.MLP_HIDDEN_SIZE, 80).with(LmConfig.CONTEXT_LENGTH, 32).with(LmConfig.BIAS_LENGTH, 16);

    @Test
    void theCodesTableIsTheDesignsTable() throws IOException {
        Map<String, Shape> design = designTable(Files.readString(Path.of("..", "docs", "design.md")));
        Map<String, Shape> code = new LinkedHashMap<>();
        for (AttentionVariant variant : AttentionVariant.values()) {
            for (TensorNames.Entry e : TensorNames.of(CONFIG.with(LmConfig.ATTENTION, variant))) {
                code.put(e.name().replace("layers.0.", "layers.N."), e.shape());
            }
        }
        assertEquals(design, code);
    }

    @Test
    void everyParameterOfEveryVariantHasATensor() {
        for (AttentionVariant variant : AttentionVariant.values()) {
            LmConfig config = CONFIG.with(LmConfig.ATTENTION, variant);
            List<String> names = new ArrayList<>();
            TensorNames.of(config).forEach(e -> names.add(e.parameter()));
            dev.lazyattention.model.LazyLmBlock block = new dev.lazyattention.model.LazyLmBlock(config);
            assertEquals(new java.util.TreeSet<>(TensorNames.parameters(block).keySet()), new java.util.TreeSet<>(names),
                    variant.id());
            assertEquals(TensorNames.parameters(block).size(), names.size());
            long count = TensorNames.of(config).stream().mapToLong(e -> e.shape().size()).sum();
            assertEquals(config.parameterCount(), count, variant.id());
        }
    }

    /**
     * The table of docs/design.md §5 as name to shape: braces expanded ({q,k,v,o} takes the shapes that follow
     * in order), the symbols V, C, H, G, D, Lb, M evaluated for {@link #CONFIG}.
     */
    static Map<String, Shape> designTable(String markdown) {
        int start = markdown.indexOf("| ours | safetensors |");
        assertTrue(start >= 0, "docs/design.md has the tensor table");
        Map<String, Shape> out = new LinkedHashMap<>();
        Pattern token = Pattern.compile("`([a-z_.N{},]+)`|\\[([^\\]]+)\\]");
        for (String line : markdown.substring(start).split("\n")) {
            if (!line.startsWith("|")) {
                break;
            }
            String[] cells = line.split("\\|");
            if (cells.length < 3 || !cells[2].contains("`")) {
                continue;
            }
            List<String> pending = new ArrayList<>();
            Matcher m = token.matcher(cells[2]);
            while (m.find()) {
                if (m.group(1) != null) {
                    pending.addAll(expand(m.group(1)));
                } else if (!pending.isEmpty()) {
                    out.put(pending.remove(0), shape(m.group(2)));
                }
            }
        }
        return out;
    }

    private static List<String> expand(String name) {
        Matcher m = Pattern.compile("\\{([^}]*)\\}").matcher(name);
        if (!m.find()) {
            return List.of(name);
        }
        List<String> out = new ArrayList<>();
        for (String part : m.group(1).split(",")) {
            out.add(name.substring(0, m.start()) + part + name.substring(m.end()));
        }
        return out;
    }

    private static Shape shape(String dims) {
        Map<String, Long> symbols = Map.of("V", 300L, "C", 48L, "H", 4L, "G", 2L, "D", 12L, "Lb", 16L, "M", 80L);
        String[] parts = dims.split(",");
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            long value = 1;
            for (String factor : parts[i].trim().split("\\*")) {
                value *= symbols.get(factor.trim());
            }
            out[i] = value;
        }
        return new Shape(out);
    }
}

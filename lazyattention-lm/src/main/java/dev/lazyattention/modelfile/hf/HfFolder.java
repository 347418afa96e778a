package dev.lazyattention.modelfile.hf;

import dev.lazyattention.modelfile.ModelFileException;
import dev.lazyattention.model.LazyLmBlock;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.TokenizerJson;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model as a folder in the layout the PyTorch world reads (docs/design.md §5): {@code config.json} in
 * Hugging Face's keys ({@link HfConfig}), {@code model.safetensors} with Llama's tensor names ({@link
 * TensorNames}), {@code tokenizer.json}, {@code tokenizer_config.json}, {@code generation_config.json} and a
 * {@code README.md} model card. Every loader of the project that is given a folder comes here, so all of
 * them accept the same folders and refuse the same ones with the same {@link ModelFileException}.
 *
 * <p>Reading checks before it allocates: {@code config.json} (bounded, every unsupported setting refused by
 * key and value), the files resolved inside the folder (a symbolic link out of it is refused), {@code
 * tokenizer.json} sized by its vocabulary, the safetensors header against the file and against the
 * shapes {@code config.json} implies, and the sizes {@code config.json} asks for against the bytes the file
 * holds, and one pass over the data for NaN and infinity. Only then does the caller build the model
 * ({@link Reader#parts()}), and the tensors are streamed into its parameters one at a time ({@link
 * Reader#copyInto}), half precision converted to float32 in Java.
 *
 * <p>This package knows the network ({@code LazyLmBlock}), not its owner: {@code LazyLanguageModel} calls
 * here to load, export and read a folder's entries, and nothing here calls back.
 */
public final class HfFolder {

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String GENERATION_CONFIG = "generation_config.json";
    public static final String CARD = "README.md";
    /** A sharded checkpoint's index, which this reader does not follow. */
    static final String SHARD_INDEX = "model.safetensors.index.json";

    /** Largest {@code config.json} (and model card) read. */
    static final long MAX_CONFIG = 1L << 20;
    /** The language line of a model card's metadata. */
    private static final Pattern CARD_LANGUAGE = Pattern.compile("language:\\s*([A-Za-z0-9_-]{1,64})\\s*");

    private HfFolder() {}

    /**
     * What a folder holds besides the tensors' values.
     *
     * @param language the language code of the model card ({@code und} when it names none)
     */
    public record Parts(LmConfig config, BpeTokenizer tokenizer, String language) {}

    /** Whether {@code path} is a folder (the loaders read it here, and a file as a {@code .lazylm.zip}). */
    public static boolean isFolder(Path path) {
        return path != null && Files.isDirectory(path);
    }

    // ------------------------------------------------------------------ export

    /**
     * Writes the model of {@code parts} and {@code block} into {@code dir} (created if needed; files of these
     * names are replaced, each atomically, config.json last).
     *
     * @param dtype float32, float16 or bfloat16 for every tensor but {@code tau}, the distance bias and the sinks,
     *     which stay float32
     * @param records lines for the model card's training record ("steps" to "1000", say), in order; may be empty
     * @throws IllegalStateException naming the tensor if a value is NaN or infinite, or too large for float16
     */
    public static void write(Parts parts, LazyLmBlock block, Path dir, DataType dtype, Map<String, String> records)
            throws IOException {
        HfConfig.torchDtype(dtype); // refuses other types
        LmConfig config = parts.config();
        Files.createDirectories(dir);
        Map<String, Parameter> parameters = TensorNames.parameters(block);
        NDList tensors = new NDList();
        for (TensorNames.Entry e : TensorNames.of(config)) {
            DataType type = e.alwaysFloat32() ? DataType.FLOAT32 : dtype;
            NDArray source = parameters.get(e.parameter()).getArray();
            tensors.add(new HostArray(e.name(), e.shape(), type, () -> bytes(e.name(), source, type)));
        }
        writeAtomically(dir.resolve(WEIGHTS), out -> tensors.encode(out, NDList.Encoding.SAFETENSORS));
        BpeTokenizer tokenizer = parts.tokenizer();
        writeAtomically(dir.resolve(TOKENIZER), out -> TokenizerJson.write(tokenizer, out));
        int boundary = tokenizer.endOfTextId();
        writeText(dir.resolve(TOKENIZER_CONFIG), tokenizerConfig(config));
        writeText(dir.resolve(GENERATION_CONFIG), generationConfig(boundary));
        writeText(dir.resolve(CARD), ModelCard.of(parts, block.parameterCount(), dtype, records));
        writeText(dir.resolve(CONFIG), HfConfig.toJson(config, boundary, dtype));
    }

    /** The little-endian bytes of a float32 parameter in {@code type}. */
    private static byte[] bytes(String name, NDArray parameter, DataType type) {
        float[] values = parameter.toType(DataType.FLOAT32, false).toFloatArray();
        ByteBuffer out = ByteBuffer.allocate(values.length * (type == DataType.FLOAT32 ? 4 : 2))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            if (!Float.isFinite(v)) {
                throw new IllegalStateException("parameter " + name + " holds " + v + " at element " + i
                        + "; the model is not exported");
            }
            if (type == DataType.FLOAT32) {
                out.putFloat(v);
            } else if (type == DataType.BFLOAT16) {
                out.putShort(HalfFloats.floatToBfloat16(v));
            } else {
                short h = HalfFloats.floatToFloat16(v);
                if ((h & 0x7C00) == 0x7C00) {
                    throw new IllegalStateException("parameter " + name + " holds " + v + " at element " + i
                            + ", beyond float16's range of 65504; export it as bfloat16 or float32");
                }
                out.putShort(h);
            }
        }
        return out.array();
    }

    private static String tokenizerConfig(LmConfig config) {
        JsonObject o = new JsonObject();
        o.addProperty("tokenizer_class", "PreTrainedTokenizerFast");
        o.addProperty("bos_token", BpeTokenizer.END_OF_TEXT);
        o.addProperty("eos_token", BpeTokenizer.END_OF_TEXT);
        o.addProperty("add_bos_token", config.startToken());
        o.addProperty("add_prefix_space", false);
        o.addProperty("clean_up_tokenization_spaces", false);
        o.addProperty("model_max_length", config.contextLength());
        return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
    }

    private static String generationConfig(int boundary) {
        JsonObject o = new JsonObject();
        o.addProperty("bos_token_id", boundary);
        o.addProperty("eos_token_id", boundary);
        return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
    }

    // ------------------------------------------------------------------ import

    /**
     * Opens a model folder and checks all of it; the caller builds the model from {@link Reader#parts()} and
     * fills it with {@link Reader#copyInto}, then closes the reader.
     *
     * @throws ModelFileException naming the folder, the file, the tensor or key, and the reason
     */
    public static Reader open(Path dir) throws IOException {
        String folder = dir.toString();
        if (!Files.isDirectory(dir)) {
            throw new ModelFileException(folder, null, Files.exists(dir) ? "not a folder" : "folder not found");
        }
        Path root = dir.toRealPath();
        Path configFile = inside(root, folder, CONFIG);
        if (Files.size(configFile) > MAX_CONFIG) {
            throw new ModelFileException(folder, CONFIG, "is " + Files.size(configFile) + " bytes, more than the "
                    + MAX_CONFIG + " a config.json may have");
        }
        HfConfig.Read read;
        try {
            read = HfConfig.read(Files.readString(configFile, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | java.nio.charset.CharacterCodingException e) {
            throw new ModelFileException(folder, CONFIG, e.getMessage(), e);
        }
        LmConfig config = read.config();
        if (!Files.exists(root.resolve(WEIGHTS), LinkOption.NOFOLLOW_LINKS)
                && Files.exists(root.resolve(SHARD_INDEX), LinkOption.NOFOLLOW_LINKS)) {
            throw new ModelFileException(folder, WEIGHTS, "missing; the folder holds a sharded checkpoint ("
                    + SHARD_INDEX + "), which this reader does not follow: save it as one " + WEIGHTS);
        }
        Path weightsFile = inside(root, folder, WEIGHTS);
        BpeTokenizer tokenizer = tokenizer(inside(root, folder, TOKENIZER), folder, config, read.boundaryId());
        SafetensorsFile weights = SafetensorsFile.open(weightsFile, folder, WEIGHTS);
        try {
            List<TensorNames.Entry> expected = expected(config, read.tied(), weights);
            check(expected, weights, folder);
            return new Reader(new Parts(config, tokenizer, language(root)), read.tied(), expected, weights);
        } catch (IOException | RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** A checked folder, its {@code model.safetensors} open until {@link #close()}. */
    public static final class Reader implements Closeable {

        private final Parts parts;
        private final boolean tied;
        private final List<TensorNames.Entry> expected;
        private final SafetensorsFile weights;

        private Reader(Parts parts, boolean tied, List<TensorNames.Entry> expected, SafetensorsFile weights) {
            this.parts = parts;
            this.tied = tied;
            this.expected = expected;
            this.weights = weights;
        }

        /** The configuration, tokenizer and language the model is built from. */
        public Parts parts() {
            return parts;
        }

        /** Sets every parameter of {@code block} (built from {@link #parts()}) from the folder's tensors. */
        public void copyInto(LazyLmBlock block) throws IOException {
            Map<String, Parameter> parameters = TensorNames.parameters(block);
            for (TensorNames.Entry e : expected) {
                SafetensorsFile.Tensor tensor = weights.tensors().get(e.name());
                // A buffer of its own for each parameter: on a CPU the engine keeps it as the tensor's memory.
                parameters.get(e.parameter()).getArray().set(weights.read(tensor));
                if (tied && e.name().equals("model.embed_tokens.weight")
                        && !weights.tensors().containsKey("lm_head.weight")) {
                    parameters.get("head_weight").getArray().set(weights.read(tensor));
                }
            }
        }

        @Override
        public void close() throws IOException {
            weights.close();
        }
    }

    /**
     * The language the model card's metadata names ({@code language: en} between its {@code ---} lines, as
     * {@link ModelCard} writes it), or {@code und}; a card that is missing, large or unreadable is ignored.
     */
    private static String language(Path root) {
        Path card = root.resolve(CARD);
        try {
            if (!Files.isRegularFile(card, LinkOption.NOFOLLOW_LINKS) || Files.size(card) > MAX_CONFIG) {
                return "und";
            }
            List<String> lines = Files.readAllLines(card, StandardCharsets.UTF_8);
            for (int i = 1; !lines.isEmpty() && lines.get(0).equals("---") && i < lines.size()
                    && !lines.get(i).equals("---"); i++) {
                Matcher m = CARD_LANGUAGE.matcher(lines.get(i));
                if (m.matches()) {
                    return m.group(1);
                }
            }
        } catch (IOException e) {
            // The card is documentation; the model loads without it.
        }
        return "und";
    }

    /** The tensors the folder must hold: the table's, less the head of a tied model that leaves it out. */
    private static List<TensorNames.Entry> expected(LmConfig config, boolean tied, SafetensorsFile weights) {
        List<TensorNames.Entry> all = new ArrayList<>(TensorNames.of(config));
        if (tied && !weights.tensors().containsKey("lm_head.weight")) {
            all.removeIf(e -> e.name().equals("lm_head.weight"));
        }
        return all;
    }

    /**
     * Sizes against the file first, then every tensor's presence and shape, then every value; nothing is
     * allocated yet.
     */
    private static void check(List<TensorNames.Entry> expected, SafetensorsFile weights, String folder)
            throws IOException {
        long parameters = 0;
        long leastBytes = 0;
        for (TensorNames.Entry e : expected) {
            parameters += e.shape().size();
            leastBytes += e.shape().size() * (e.alwaysFloat32() ? 4 : 2);
        }
        if (leastBytes > weights.dataSize()) {
            throw new ModelFileException(folder, CONFIG, "describes " + parameters + " parameters, at least "
                    + leastBytes + " bytes, but " + WEIGHTS + " holds " + weights.dataSize() + " bytes of tensors");
        }
        Set<String> names = new java.util.HashSet<>();
        for (TensorNames.Entry e : expected) {
            names.add(e.name());
            SafetensorsFile.Tensor t = weights.tensors().get(e.name());
            if (t == null) {
                throw new ModelFileException(folder, WEIGHTS, "tensor " + e.name() + " is missing (config.json "
                        + "describes it)");
            }
            if (!t.shape().equals(e.shape())) {
                throw new ModelFileException(folder, WEIGHTS, "tensor " + e.name() + " has shape " + t.shape()
                        + " but config.json implies " + e.shape());
            }
        }
        for (String name : weights.tensors().keySet()) {
            if (!names.contains(name) && !name.endsWith(".rotary_emb.inv_freq")) { // RoPE tables older Llamas saved
                throw new ModelFileException(folder, WEIGHTS, "tensor " + name + " is not part of the model "
                        + "config.json describes");
            }
        }
        // One read of the file before the model exists: NaN and infinity are refused before allocation too.
        for (TensorNames.Entry e : expected) {
            weights.checkFinite(weights.tensors().get(e.name()));
        }
    }

    private static BpeTokenizer tokenizer(Path file, String folder, LmConfig config, int boundary)
            throws ModelFileException {
        BpeTokenizer tokenizer;
        try (InputStream in = Files.newInputStream(file)) {
            // Read at most what a vocabulary of vocab_size needs: a hostile file costs little memory.
            tokenizer = TokenizerJson.read(in, TOKENIZER, config.vocabSize());
        } catch (IOException | IllegalArgumentException e) {
            String message = e.getMessage().startsWith(TOKENIZER + ": ")
                    ? e.getMessage().substring(TOKENIZER.length() + 2) : e.getMessage();
            throw new ModelFileException(folder, TOKENIZER, message, e);
        }
        if (tokenizer.endOfTextId() != boundary) {
            throw new ModelFileException(folder, CONFIG, "the text boundary token id " + boundary + " (bos_token_id/"
                    + "eos_token_id) is not the tokenizer's special token " + BpeTokenizer.END_OF_TEXT + " (id "
                    + tokenizer.endOfTextId() + ")");
        }
        return tokenizer;
    }

    /** {@code name} in the folder, refused if missing, not a file, or a symbolic link out of the folder. */
    private static Path inside(Path root, String folder, String name) throws IOException {
        Path file = root.resolve(name);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new ModelFileException(folder, name, "missing");
        }
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            throw new ModelFileException(folder, name, "is a symbolic link to nothing", e);
        }
        if (!real.startsWith(root)) {
            throw new ModelFileException(folder, name, "is a symbolic link to " + real + ", outside the folder");
        }
        if (!Files.isRegularFile(real)) {
            throw new ModelFileException(folder, name, "not a regular file");
        }
        return real;
    }

    // ------------------------------------------------------------------ files

    private interface Writing {
        void to(OutputStream out) throws IOException;
    }

    private static void writeText(Path file, String text) throws IOException {
        writeAtomically(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes to a temporary file beside {@code file}, forces it to disk, then renames it over {@code file}. */
    private static void writeAtomically(Path file, Writing writing) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                    OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16)) {
                writing.to(out);
                out.flush();
                channel.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** The records of a trainer's {@code metrics.jsonl} last line, for the model card; empty if none. */
    public static Map<String, String> lastRecord(Path metricsFile) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        if (metricsFile == null || !Files.isRegularFile(metricsFile)) {
            return out;
        }
        List<String> lines = Files.readAllLines(metricsFile, StandardCharsets.UTF_8);
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i).strip();
            if (line.startsWith("{")) {
                try {
                    JsonObject o = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
                    o.entrySet().forEach(e -> out.put(e.getKey(), e.getValue().isJsonPrimitive()
                            ? e.getValue().getAsString() : e.getValue().toString()));
                } catch (RuntimeException e) {
                    out.clear();
                    continue;
                }
                return out;
            }
        }
        return out;
    }
}

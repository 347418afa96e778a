package dev.lazyattention.lm;

import dev.lazyattention.model.LazyLmBlock;
import dev.lazyattention.model.LmConfig;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import dev.lazyattention.modelfile.hf.HfFolder;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.TokenizerJson;
import dev.lazyattention.util.Views;
import dev.lazyattention.engine.DeviceChoice;
import dev.lazyattention.engine.MissingEngineException;
import dev.lazyattention.modelfile.ModelContents;
import dev.lazyattention.modelfile.ModelEntries;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelFileException;
import dev.lazyattention.modelfile.ModelFileFormat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A trained (or freshly initialised) Lazy Attention language model: its {@link LmConfig}, its tokenizer and
 * its DJL {@link Model} holding a {@link LazyLmBlock}. This is the object the scorer, the generator, the trainer
 * and the CoreNLP and OpenNLP adapters share; it saves to and loads from one {@code .lazylm.zip} file.
 *
 * <p>Thread-safe for inference: any number of threads may score or generate at once. {@link #close()}
 * waits for running calls and makes later ones fail with {@link IllegalStateException}. This object is the
 * one owner of its DJL model: nothing else wraps it, and the language code a trainer wants in the file is
 * given where the file is written ({@link #save(Path, String)}).
 */
public final class LazyLanguageModel implements AutoCloseable {

    private static final Pattern LANGUAGE_CODE = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private final LmConfig config;
    private final BpeTokenizer tokenizer;
    private final Model model;
    private final LazyLmBlock block;
    private final String language;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private LazyLanguageModel(LmConfig config, BpeTokenizer tokenizer, Model model, LazyLmBlock block, String language) {
        this.config = config;
        this.tokenizer = tokenizer;
        this.model = model;
        this.block = block;
        this.language = language;
    }

    /**
     * A new model with freshly initialised parameters.
     *
     * @param seed seeds the engine's random generator, so the same seed gives the same initial weights
     */
    public static LazyLanguageModel create(LmConfig config, BpeTokenizer tokenizer, Device device, long seed) {
        return create(config, tokenizer, device, seed, "und");
    }

    /**
     * A new model with freshly initialised parameters whose files name {@code language} (the language of the
     * text it will be trained on) in their manifest.
     *
     * @throws IllegalArgumentException if {@code language} is not a language code (see {@link #checkLanguage})
     */
    public static LazyLanguageModel create(LmConfig config, BpeTokenizer tokenizer, Device device, long seed,
            String language) {
        String code = checkParts(config, tokenizer, language);
        Engine.getInstance().setRandomSeed((int) seed);
        return allocate(config, tokenizer, device, code, null);
    }

    /**
     * A model whose parameters the caller then sets (a reader of another file format): every parameter
     * allocated and zero, and the engine's random generator left as it was.
     *
     * @throws IllegalArgumentException if {@code language} is not a language code (see {@link #checkLanguage})
     * @throws MissingEngineException if DJL has no PyTorch engine
     */
    public static LazyLanguageModel forParameters(LmConfig config, BpeTokenizer tokenizer, Device device,
            String language) {
        String code = checkParts(config, tokenizer, language);
        return allocate(config, tokenizer, device, code, new ConstantInitializer(0f));
    }

    /** The language code, once the parts fit together and an engine is there to hold the parameters. */
    private static String checkParts(LmConfig config, BpeTokenizer tokenizer, String language) {
        String code = checkLanguage(language);
        if (config.vocabSize() != tokenizer.vocabSize()) {
            throw new IllegalArgumentException("config vocabSize " + config.vocabSize()
                    + " differs from the tokenizer's " + tokenizer.vocabSize());
        }
        MissingEngineException.check();
        return code;
    }

    /** A new block on {@code device}, initialised by its own initializers or, when given, by {@code fill}. */
    private static LazyLanguageModel allocate(LmConfig config, BpeTokenizer tokenizer, Device device,
            String language, Initializer fill) {
        Model model = Model.newInstance(ModelFileFormat.DJL_MODEL_NAME, device);
        LazyLmBlock block = new LazyLmBlock(config);
        if (fill != null) {
            block.setInitializer(fill, parameter -> true);
        }
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, config.contextLength()));
        return new LazyLanguageModel(config, tokenizer, model, block, language);
    }

    /**
     * Loads a model file, or a model folder in Hugging Face's layout ({@link HfFolder}), onto the device named
     * by {@code lazyattention.device} (default auto).
     */
    public static LazyLanguageModel load(Path file) throws IOException {
        return load(file, DeviceChoice.fromEnvironment());
    }

    /** Loads a model file, or a model folder in Hugging Face's layout ({@link HfFolder}), onto {@code device}. */
    public static LazyLanguageModel load(Path file, Device device) throws IOException {
        if (HfFolder.isFolder(file)) {
            return fromFolder(file, device);
        }
        return fromEntries(ModelFile.read(file), file.toString(), device);
    }

    /** The folder checked whole by {@link HfFolder}, then the model built and its parameters set from it. */
    private static LazyLanguageModel fromFolder(Path dir, Device device) throws IOException {
        try (HfFolder.Reader folder = HfFolder.open(dir)) {
            HfFolder.Parts parts = folder.parts();
            LazyLanguageModel lm = forParameters(parts.config(), parts.tokenizer(), device, parts.language());
            try {
                folder.copyInto(lm.block);
            } catch (IOException | RuntimeException e) {
                lm.close();
                throw e;
            }
            return lm;
        }
    }

    /**
     * The verified entries of a model file, or of a {@code .lazylm.zip} holding the model of a folder in Hugging
     * Face's layout (read on the CPU): what the loaders that work on a model file's entries (DJL's {@code
     * Criteria}, OpenNLP's {@code BaseModel}) are given. A file's checkpoint-only entries are left out.
     */
    public static ModelEntries readEntries(Path fileOrFolder) throws IOException {
        if (!HfFolder.isFolder(fileOrFolder)) {
            return ModelFile.read(fileOrFolder).withoutTrainingState();
        }
        try (LazyLanguageModel lm = fromFolder(fileOrFolder, Device.cpu())) {
            return lm.toEntries(Map.of());
        }
    }

    public static LazyLanguageModel load(InputStream in, String source, Device device) throws IOException {
        return fromEntries(ModelFile.read(in, source), source, device);
    }

    /**
     * Builds a model from verified model-file entries.
     *
     * @throws MissingEngineException if DJL has no PyTorch engine (the file is not blamed for that)
     */
    public static LazyLanguageModel fromEntries(ModelEntries entries, String source, Device device)
            throws ModelFileException {
        ModelContents.Checked checked = ModelContents.check(entries, source); // the checks of every loader
        LmConfig config = checked.config();
        BpeTokenizer tokenizer = checked.tokenizer();
        String language = checked.language();
        MissingEngineException.check();
        Model model = Model.newInstance(ModelFileFormat.DJL_MODEL_NAME, device);
        LazyLmBlock block = new LazyLmBlock(config);
        model.setBlock(block);
        try {
            model.load(new ByteArrayInputStream(entries.get(ModelFileFormat.PARAMETERS)), Map.of());
            long loaded = block.parameterCount();
            if (loaded != config.parameterCount()) {
                throw new ModelFileException(source, ModelFileFormat.PARAMETERS, "holds " + loaded
                        + " parameters but config.json describes " + config.parameterCount());
            }
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            if (e instanceof ModelFileException) {
                throw (ModelFileException) e;
            }
            throw new ModelFileException(source, ModelFileFormat.PARAMETERS,
                    "parameters do not fit config.json: " + e.getMessage(), e);
        }
        return new LazyLanguageModel(config, tokenizer, model, block, language);
    }

    /** Saves the model as one {@code .lazylm.zip}, atomically, with its own {@link #language()}. */
    public void save(Path file) throws IOException {
        save(file, Map.of());
    }

    /**
     * Saves the model as one {@code .lazylm.zip}, atomically, with {@code language} as the language code of
     * its manifest (a trainer names the language of the text it trained on). This model is not changed.
     *
     * @throws IllegalArgumentException if {@code language} is not a language code (see {@link #checkLanguage})
     */
    public void save(Path file, String language) throws IOException {
        write(file, checkLanguage(language), Map.of());
    }

    /**
     * Saves the model with {@code extra} entries (a checkpoint's training state), atomically: on any failure
     * (a full disk included) the previous file at {@code file} is left as it was.
     */
    public void save(Path file, Map<String, byte[]> extra) throws IOException {
        write(file, language, extra);
    }

    private void write(Path file, String languageCode, Map<String, byte[]> extra) throws IOException {
        ModelEntries entries;
        try {
            entries = entries(languageCode, extra);
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + e.getMessage()
                    + (Files.exists(file) ? " (the previous file is unchanged)" : ""), e);
        }
        ModelFile.write(file, entries);
    }

    /**
     * Writes this model as a folder in Hugging Face's layout (docs/design.md §5): {@code config.json}, {@code
     * model.safetensors} with Llama's tensor names, {@code tokenizer.json}, {@code tokenizer_config.json},
     * {@code generation_config.json} and a {@code README.md} model card. {@link #load(Path)} reads it back.
     *
     * @param dtype {@code FLOAT32}, {@code FLOAT16} or {@code BFLOAT16} for the tensors; {@code tau}, the
     *     distance bias and the sinks stay float32
     * @throws IllegalStateException naming the parameter if it holds NaN or infinity (or, for float16, a
     *     value beyond its range)
     */
    public void exportFolder(Path dir, DataType dtype) throws IOException {
        exportFolder(dir, dtype, Map.of());
    }

    /**
     * As {@link #exportFolder(Path, DataType)}, with {@code records} as the model card's training record
     * ("steps" to "1000", say), in order.
     */
    public void exportFolder(Path dir, DataType dtype, Map<String, String> records) throws IOException {
        withReadLock(() -> {
            HfFolder.write(new HfFolder.Parts(config, tokenizer, language), block, dir, dtype, records);
            return null;
        });
    }

    /**
     * The model-file entries of this model plus {@code extra} ones (checkpoint state).
     *
     * @throws IllegalStateException if a parameter holds NaN or infinity: such a model is never written
     */
    public ModelEntries toEntries(Map<String, byte[]> extra) throws IOException {
        return entries(language, extra);
    }

    /**
     * As {@link #toEntries(Map)}, with {@code language} as the manifest's language code.
     *
     * @throws IllegalArgumentException if {@code language} is not a language code (see {@link #checkLanguage})
     */
    public ModelEntries toEntries(String language, Map<String, byte[]> extra) throws IOException {
        return entries(checkLanguage(language), extra);
    }

    private ModelEntries entries(String languageCode, Map<String, byte[]> extra) throws IOException {
        return withReadLock(() -> {
            checkFinite();
            Map<String, byte[]> entries = new LinkedHashMap<>();
            entries.put(ModelFileFormat.MANIFEST, manifest(languageCode));
            entries.put(ModelFileFormat.CONFIG, config.toJson().getBytes(StandardCharsets.UTF_8));
            ByteArrayOutputStream tok = new ByteArrayOutputStream();
            TokenizerJson.write(tokenizer, tok);
            entries.put(ModelFileFormat.TOKENIZER, tok.toByteArray());
            entries.put(ModelFileFormat.SERVING, ModelFileFormat.servingProperties());
            entries.put(ModelFileFormat.PARAMETERS, parameterBytes());
            entries.putAll(extra);
            return ModelEntries.of(entries);
        });
    }

    private byte[] parameterBytes() throws IOException {
        Path dir = Files.createTempDirectory("lazylm-params");
        try {
            model.setProperty("Epoch", "0");
            model.save(dir, ModelFileFormat.DJL_MODEL_NAME);
            return Files.readAllBytes(dir.resolve(ModelFileFormat.PARAMETERS));
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * The language code written into a manifest, trimmed: letters, digits, {@code -} and {@code _} only
     * ({@code en}, {@code pt-BR}, {@code und}), so that it cannot break the manifest's properties syntax.
     *
     * @throws IllegalArgumentException otherwise, naming the value
     */
    public static String checkLanguage(String language) {
        String code = language == null ? "" : language.trim();
        if (!LANGUAGE_CODE.matcher(code).matches()) {
            throw new IllegalArgumentException("language '" + language + "' is not a language code such as en, "
                    + "pt-BR or und (letters, digits, - and _, at most 64)");
        }
        return code;
    }

    private byte[] manifest(String language) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Lazy Attention language model (").append(config.attention().id()).append(")\n");
        sb.append("Manifest-Version=1.0\n");
        sb.append("OpenNLP-Version=").append(ModelFileFormat.MANIFEST_FORMAT_VERSION).append('\n');
        sb.append("Component-Name=").append(ModelFileFormat.COMPONENT_NAME).append('\n');
        sb.append("Language=").append(language).append('\n');
        sb.append("Timestamp=").append(System.currentTimeMillis()).append('\n');
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private void checkFinite() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            for (Pair<String, Parameter> p : block.getParameters()) {
                NDArray v = Views.of(p.getValue().getArray(), m);
                if (v.isNaN().logicalOr(v.isInfinite()).any().getBoolean()) {
                    throw new IllegalStateException("parameter " + p.getKey()
                            + " holds NaN or infinity; the model is not saved");
                }
            }
        }
    }

    // ---------------------------------------------------------------- accessors

    public LmConfig config() {
        return config;
    }

    public BpeTokenizer tokenizer() {
        return tokenizer;
    }

    public LazyLmBlock block() {
        return block;
    }

    /** The DJL model (for a {@code Trainer}, or to use the block in a user's own code). */
    public Model djlModel() {
        return model;
    }

    public Device device() {
        return model.getNDManager().getDevice();
    }

    /**
     * The language code of the manifest this model was loaded from ("und" for a new model or when unknown);
     * {@link #save(Path)} writes it again, {@link #save(Path, String)} writes another one.
     */
    public String language() {
        return language;
    }

    public long parameterCount() {
        return block.parameterCount();
    }

    /** A manager for one batch of work on the model's device; close it when done. */
    public NDManager newManager() {
        return model.getNDManager().newSubManager();
    }

    /** A parameter store for inference calls on {@code manager}. */
    public ParameterStore parameterStore(NDManager manager) {
        return new ParameterStore(manager, false);
    }

    /** Work that may throw. */
    public interface Work<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code work} while the model cannot be closed.
     *
     * @throws IllegalStateException if the model is closed
     */
    public <T> T withReadLock(Work<T> work) throws IOException {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("the model is closed");
            }
            return work.run();
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Frees native memory after running calls finish; later calls throw {@link IllegalStateException}. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                model.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    public boolean isClosed() {
        return closed;
    }
}

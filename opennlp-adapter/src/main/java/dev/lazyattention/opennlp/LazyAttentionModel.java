package dev.lazyattention.opennlp;

import dev.lazyattention.modelfile.ModelContents;
import dev.lazyattention.modelfile.ModelEntries;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelFileException;
import dev.lazyattention.modelfile.ModelFileFormat;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.engine.DeviceChoice;
import ai.djl.Device;
import opennlp.tools.util.InvalidFormatException;
import opennlp.tools.util.ObjectStream;
import opennlp.tools.util.TrainingParameters;
import opennlp.tools.util.ext.ExtensionLoader;
import opennlp.tools.util.model.ArtifactSerializer;
import opennlp.tools.util.model.BaseModel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A Lazy Attention language model as an OpenNLP model: the same {@code .lazylm.zip} file that DJL ({@code
 * Criteria}) and the CoreNLP annotator load, read through OpenNLP's {@link BaseModel}. Its {@code
 * manifest.properties} satisfies {@code BaseModel} (component {@value #COMPONENT_NAME}); this class maps each
 * entry type to {@link ModelEntrySerializer} itself, so every entry is kept as its exact bytes (a manifest
 * that also names that serializer for an entry is read the same way).
 *
 * <p><b>Loading.</b> The file, stream or URL is first verified with the block's {@link ModelFile} reader
 * (a zip of the known entries whose SHA-256 match {@code checksums.sha256}); a truncated, foreign or
 * corrupt file is refused with an {@link InvalidFormatException} naming the file and the bad entry. Then
 * {@code BaseModel} reads it and runs {@link #validateArtifactMap()}: OpenNLP's manifest checks (a model of
 * another component is refused with OpenNLP's message "The LazyAttentionModel cannot load a model for the
 * ...!"), then the required entries and their checksums again. As for every OpenNLP model, {@code
 * BaseModel} reports a failure of that validation as an {@link IllegalArgumentException} whose cause is the
 * {@link InvalidFormatException}.
 *
 * <p><b>Writing.</b> {@code serialize} (final in {@code BaseModel}) writes every entry's original bytes,
 * {@code checksums.sha256} included, so the written file still loads in DJL, CoreNLP and {@code
 * LazyLanguageModel.load}. {@link #save(Path)} writes the same entries atomically through {@link ModelFile}.
 *
 * <p><b>One source of truth.</b> The artifact map holds the model: every entry as its bytes. Nothing else
 * does: {@link #entries()}, {@code serialize} and {@link #save(Path)} write those bytes, and the live
 * {@link LazyLanguageModel} is only ever built from them. A model handed over in memory ({@link
 * #LazyAttentionModel(LazyLanguageModel, String)}) is written into the artifact map and closed at once, so
 * that no second copy of the weights can drift from the bytes that are saved.
 *
 * <p><b>Running.</b> {@link #languageModel()} builds the {@link LazyLanguageModel} from the artifact map on
 * first use, on the device named by {@code lazyattention.device} (default {@code auto}; for a model handed
 * over in memory, the device it was on); {@link #close()} frees it. Use it through {@link
 * LazyAttentionLanguageModel} for OpenNLP's {@code LanguageModel} interface.
 *
 * <p>OpenNLP only instantiates serializer classes from allowed packages; this class allows {@value
 * #EXTENSION_PACKAGE} when it is initialised, which happens before any of its constructors reads a file.
 */
public final class LazyAttentionModel extends BaseModel implements AutoCloseable {

    private static final long serialVersionUID = 1L;

    /** The OpenNLP component name in the manifest. */
    public static final String COMPONENT_NAME = ModelFileFormat.COMPONENT_NAME;

    /** The package whose serializers OpenNLP's {@code ExtensionLoader} must be allowed to load. */
    public static final String EXTENSION_PACKAGE = "dev.lazyattention.opennlp";

    /** How validation names the entries when the model did not come from a file. */
    private static final String ARTIFACTS = COMPONENT_NAME + " artifacts";

    static {
        ExtensionLoader.registerAllowedPackage(EXTENSION_PACKAGE);
    }

    private final transient String source;
    private final transient Device device; // where languageModel() builds the model; null: lazyattention.device
    private transient LazyLanguageModel languageModel; // built from the artifact map; guarded by this

    /** Loads a model file, or a model folder in Hugging Face's layout (docs/design.md §5). */
    public LazyAttentionModel(Path file) throws IOException {
        super(COMPONENT_NAME, ModelSource.verifiedFile(file));
        source = file.toString();
        device = null;
    }

    /** Loads a model file, or a model folder in Hugging Face's layout (docs/design.md §5). */
    public LazyAttentionModel(File file) throws IOException {
        this(file == null ? null : file.toPath());
    }

    /** Loads a model from a stream, which is read to its end and not closed. */
    public LazyAttentionModel(InputStream in) throws IOException {
        super(COMPONENT_NAME, ModelSource.verifiedStream(in, "model input stream"));
        source = "model input stream";
        device = null;
    }

    /** Loads a model from a URL. */
    public LazyAttentionModel(URL url) throws IOException {
        super(COMPONENT_NAME, ModelSource.verifiedUrl(url));
        source = url.toString();
        device = null;
    }

    /**
     * Takes over a model in memory (a trained one, say), with the language code it was loaded with ({@link
     * LazyLanguageModel#language()}); see {@link #LazyAttentionModel(LazyLanguageModel, String)}.
     */
    public LazyAttentionModel(LazyLanguageModel lm) throws IOException {
        this(lm, entriesOf(lm, null));
    }

    /**
     * Takes over a model in memory (a trained one, say): its entries, with {@code language} as the
     * manifest's language code, become this model's artifacts, and {@code lm} is closed. {@link
     * #languageModel()} builds the model again from those entries, on the device {@code lm} was on.
     *
     * @throws IllegalStateException if {@code lm} is closed or holds NaN or infinite parameters (it is left
     *     open then)
     * @throws IllegalArgumentException if {@code language} is not a language code
     */
    public LazyAttentionModel(LazyLanguageModel lm, String language) throws IOException {
        this(lm, entriesOf(lm, language));
    }

    private LazyAttentionModel(LazyLanguageModel lm, ModelEntries entries) throws IOException {
        super(COMPONENT_NAME, ModelContents.check(entries, "model in memory").language(), null);
        artifactMap.clear();
        for (String name : entries.names()) {
            artifactMap.put(name, artifact(name, entries.get(name)));
        }
        artifactMap.put(ModelFileFormat.CHECKSUMS, checksumsOf(entries));
        checkArtifactMap();
        source = "model in memory";
        device = lm.device();
        lm.close();
    }

    private static ModelEntries entriesOf(LazyLanguageModel lm, String language) throws IOException {
        if (lm == null) {
            throw new IllegalArgumentException("the language model must not be null");
        }
        return language == null ? lm.toEntries(Map.of()) : lm.toEntries(language, Map.of());
    }

    /**
     * Trains a tokenizer and a model on {@code documents} the OpenNLP way; see {@link OpenNlpTrainingParameters} for
     * the parameters ({@code Iterations} is the number of optimizer steps, {@code lazylm.*} the model and
     * training options).
     *
     * @param language the language code written into the manifest (for example {@code en}, or {@code und})
     * @param documents one document per element (blank ones are skipped); read to its end, not closed
     * @param params training parameters; null means all defaults
     * @throws IllegalArgumentException naming the parameter whose value is bad, or if there is no text
     */
    public static LazyAttentionModel train(String language, ObjectStream<String> documents, TrainingParameters params)
            throws IOException {
        return DocumentTrainer.train(language, documents, params);
    }

    private static Object artifact(String name, byte[] bytes) throws IOException {
        return name.endsWith(".properties") ? VerbatimProperties.parse(bytes) : bytes;
    }

    /** The {@code checksums.sha256} the block writes for {@code entries}, taken from its own writer. */
    private static byte[] checksumsOf(ModelEntries entries) throws IOException {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        ModelFile.write(zip, entries);
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip.toByteArray()))) {
            ZipEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                if (entry.getName().equals(ModelFileFormat.CHECKSUMS)) {
                    return ModelEntrySerializer.readEntry(in);
                }
            }
        }
        throw new IllegalStateException("the model file writer wrote no " + ModelFileFormat.CHECKSUMS);
    }

    // ------------------------------------------------------------------ OpenNLP hooks

    /**
     * Registers the byte serializer for the model file's entry types and the verbatim one for {@code
     * .properties}, so that {@code serialize} writes each entry exactly as it was read.
     */
    @Override
    protected void createArtifactSerializers(Map<String, ArtifactSerializer<?>> serializers) {
        super.createArtifactSerializers(serializers);
        ModelEntrySerializer bytes = new ModelEntrySerializer();
        for (String name : knownEntries()) {
            String extension = name.substring(name.lastIndexOf('.') + 1);
            serializers.put(extension, extension.equals("properties") ? new VerbatimPropertiesSerializer() : bytes);
        }
    }

    /**
     * OpenNLP's manifest checks, then {@link #verifyArtifacts}.
     *
     * @throws InvalidFormatException naming the missing, unexpected or corrupt entry
     */
    @Override
    protected void validateArtifactMap() throws InvalidFormatException {
        super.validateArtifactMap();
        verifyArtifacts(artifactMap);
    }

    /**
     * Checks artifacts as a model file: only the file's entries, each read as bytes, every required one
     * present, and every SHA-256 as {@code checksums.sha256} says (verified by the block's reader).
     *
     * @throws InvalidFormatException naming the missing, unexpected or corrupt entry
     */
    static void verifyArtifacts(Map<String, Object> artifacts) throws InvalidFormatException {
        Map<String, byte[]> raw = rawEntries(artifacts);
        for (String name : ModelFileFormat.REQUIRED) {
            if (!raw.containsKey(name)) {
                throw new InvalidFormatException(ARTIFACTS + " [" + name + "]: missing: not a complete Lazy Attention model");
            }
        }
        if (!raw.containsKey(ModelFileFormat.CHECKSUMS)) {
            throw new InvalidFormatException(ARTIFACTS + " [" + ModelFileFormat.CHECKSUMS + "]: missing: cannot verify the model");
        }
        try {
            ModelFile.read(new ByteArrayInputStream(zip(raw)), ARTIFACTS);
        } catch (ModelFileException e) {
            throw new InvalidFormatException(e.getMessage(), e);
        } catch (IOException e) {
            throw new InvalidFormatException(ARTIFACTS + ": cannot be verified: " + e.getMessage(), e);
        }
    }

    /** Every artifact as the bytes it was read from. */
    private static Map<String, byte[]> rawEntries(Map<String, Object> artifacts) throws InvalidFormatException {
        Set<String> known = knownEntries();
        Map<String, byte[]> raw = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : artifacts.entrySet()) {
            String name = e.getKey();
            if (!known.contains(name)) {
                throw new InvalidFormatException(ARTIFACTS + " [" + name + "]: unexpected entry: a Lazy Attention model "
                        + "holds only " + known);
            }
            raw.put(name, bytesOf(name, e.getValue()));
        }
        return raw;
    }

    private static byte[] bytesOf(String name, Object artifact) throws InvalidFormatException {
        if (artifact instanceof byte[] bytes) {
            return bytes;
        }
        if (artifact instanceof VerbatimProperties verbatim) {
            return verbatim.isUnchanged() ? verbatim.bytes() : stored(verbatim);
        }
        if (artifact instanceof Properties properties) {
            return stored(properties);
        }
        throw new InvalidFormatException(ARTIFACTS + " [" + name + "]: read as "
                + (artifact == null ? "nothing" : artifact.getClass().getName()) + " instead of its bytes; "
                + "a serializer-class line of manifest.properties names another class for it");
    }

    private static byte[] stored(Properties properties) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            properties.store(out, null);
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
    }

    /** The entries as a zip for the block's reader; stored uncompressed, since it is only read back. */
    private static byte[] zip(Map<String, byte[]> raw) throws InvalidFormatException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.setLevel(Deflater.NO_COMPRESSION);
            for (Map.Entry<String, byte[]> e : raw.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new InvalidFormatException(ARTIFACTS + ": cannot be verified: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private static Set<String> knownEntries() {
        Set<String> names = new LinkedHashSet<>(ModelFileFormat.REQUIRED);
        names.addAll(ModelFileFormat.OPTIONAL);
        names.add(ModelFileFormat.CHECKSUMS);
        return names;
    }

    // ------------------------------------------------------------------ the model

    /** The model file's entries (without {@code checksums.sha256}, which is derived from them). */
    public ModelEntries entries() {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : artifactMap.entrySet()) {
            if (!e.getKey().equals(ModelFileFormat.CHECKSUMS)) {
                try {
                    entries.put(e.getKey(), bytesOf(e.getKey(), e.getValue()));
                } catch (InvalidFormatException ex) {
                    throw new IllegalStateException(ex.getMessage(), ex);
                }
            }
        }
        return ModelEntries.of(entries);
    }

    /** Writes the model file atomically (temporary file, then rename), as DJL and CoreNLP read it. */
    public void save(Path file) throws IOException {
        ModelFile.write(file, entries());
    }

    /**
     * The model, built from the entries on first use on the device that {@code lazyattention.device} names
     * (default {@code auto}; a model handed over in memory: the device it was on); after {@link #close()} the
     * next call builds it again.
     *
     * @throws IOException if the entries do not make a model (parameters that do not fit the config, say)
     */
    public synchronized LazyLanguageModel languageModel() throws IOException {
        if (languageModel == null || languageModel.isClosed()) {
            languageModel = LazyLanguageModel.fromEntries(entries(), source(),
                    device != null ? device : DeviceChoice.fromEnvironment());
        }
        return languageModel;
    }

    /** Where the model was read from, for messages. */
    public String source() {
        return source == null ? COMPONENT_NAME : source;
    }

    /** Frees the native memory of the model built by {@link #languageModel()}, if any. */
    @Override
    public synchronized void close() {
        if (languageModel != null) {
            languageModel.close();
            languageModel = null;
        }
    }
}

package dev.lazyattention.modelfile;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * Names and limits of the {@code .lazylm.zip} model file (docs/design.md §5). One zip serves three ecosystems:
 * DJL reads {@code serving.properties} and the parameters; {@code manifest.properties} is a plain Java
 * properties manifest (format version, component, language, time) that OpenNLP's model reader also
 * understands; every reader checks the SHA-256 of each entry listed in {@code checksums.sha256}. The file
 * names no class of any adapter: each adapter maps the entries by their type itself. The classes it names
 * for DJL (package {@code dev.lazyattention.serving}) are written here only, and a test of that package
 * holds these names to its classes.
 */
public final class ModelFileFormat {

    /** Conventional file name suffix. */
    public static final String SUFFIX = ".lazylm.zip";

    public static final String CONFIG = "config.json";
    public static final String TOKENIZER = "tokenizer.json";
    /** DJL's parameter file for model name {@code lazylm}, epoch 0. */
    public static final String PARAMETERS = "lazylm-0000.params";
    public static final String SERVING = "serving.properties";
    public static final String MANIFEST = "manifest.properties";
    public static final String CHECKSUMS = "checksums.sha256";
    /** Checkpoints only: step, data position and options of the interrupted run. */
    public static final String TRAINING_STATE = "training-state.json";
    /** Checkpoints only: the optimizer's moments (DJL NDList encoding). */
    public static final String OPTIMIZER_STATE = "optimizer-0000.ndlist";

    /** DJL model name; the parameter file is {@code <name>-0000.params}. */
    public static final String DJL_MODEL_NAME = "lazylm";
    /** The block factory {@code serving.properties} names for DJL's {@code Criteria}. */
    public static final String BLOCK_FACTORY = "dev.lazyattention.serving.LazyLmBlockFactory";
    /** The translator factory {@code serving.properties} names for DJL's {@code Criteria}. */
    public static final String TRANSLATOR_FACTORY = "dev.lazyattention.serving.LazyLmTranslatorFactory";
    /** The entry point that checks a model file before DJL unpacks it, named in a comment of {@code serving.properties}. */
    public static final String CRITERIA = "dev.lazyattention.serving.LazyLmCriteria";

    /** Entries every model file has, in the order they are written. */
    public static final List<String> REQUIRED = List.of(MANIFEST, CONFIG, TOKENIZER, SERVING, PARAMETERS);
    /** Entries a file may have besides the required ones and the checksums. */
    public static final Set<String> OPTIONAL = Set.of(TRAINING_STATE, OPTIMIZER_STATE);

    /** Component name that {@code manifest.properties} declares. */
    public static final String COMPONENT_NAME = "LazyAttentionModel";
    /**
     * Manifest format version ({@code OpenNLP-Version} key: the version of the manifest layout the file
     * follows, which OpenNLP readers check for major-version compatibility).
     */
    public static final String MANIFEST_FORMAT_VERSION = "2.5.11";

    /** Largest text entry (config, tokenizer, properties, checksums, training state). */
    static final long MAX_TEXT_ENTRY = 64L << 20;
    /** Largest ratio of an entry's size to its compressed size: JSON stays under 20, floats near 1. */
    static final long MAX_EXPANSION = 200;
    /** Below this size any ratio is accepted (tiny entries compress unpredictably). */
    static final long MIN_EXPANSION_LIMIT = 1L << 20;
    /** Largest entry, and largest file read from a stream: each is held in one Java array. */
    static final long MAX_FILE = Integer.MAX_VALUE - 8;

    private ModelFileFormat() {}

    /** The content of {@code serving.properties}: DJL's model name and the factories it builds the model with. */
    public static byte[] servingProperties() {
        String s = "# DJL's Criteria loads this file, checked before it is unpacked:\n"
                + "#   " + CRITERIA + ".builder(zip).setTypes(String.class, Float.class)\n"
                + "option.modelName=" + DJL_MODEL_NAME + "\n"
                + "blockFactory=" + BLOCK_FACTORY + "\n"
                + "translatorFactory=" + TRANSLATOR_FACTORY + "\n";
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}

package dev.lazyattention.io;

import java.util.List;
import java.util.Set;

/**
 * Names and limits of the {@code .lazylm.zip} model file (docs/design.md §5). One zip serves three ecosystems:
 * DJL reads {@code serving.properties} and the parameters, OpenNLP's {@code BaseModel} reads {@code
 * manifest.properties} and the entries through the serializers named there, and every reader checks the
 * SHA-256 of each entry listed in {@code checksums.sha256}.
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

    /** Entries every model file has, in the order they are written. */
    public static final List<String> REQUIRED = List.of(MANIFEST, CONFIG, TOKENIZER, SERVING, PARAMETERS);
    /** Entries a file may have besides the required ones and the checksums. */
    public static final Set<String> OPTIONAL = Set.of(TRAINING_STATE, OPTIMIZER_STATE);

    /** OpenNLP component name that {@code manifest.properties} declares. */
    public static final String OPENNLP_COMPONENT = "LazyAttentionModel";
    /** OpenNLP manifest version and the OpenNLP version the file format was written against. */
    public static final String OPENNLP_VERSION = "2.5.11";
    /**
     * OpenNLP {@code ArtifactSerializer} that reads the non-properties entries as bytes; the class lives
     * in the opennlp-adapter module and is named here only as text.
     */
    public static final String OPENNLP_SERIALIZER = "dev.lazyattention.opennlp.ModelEntrySerializer";

    /** Largest text entry (config, tokenizer, properties, checksums, training state). */
    static final long MAX_TEXT_ENTRY = 64L << 20;
    /** Largest ratio of an entry's size to its compressed size: JSON stays under 20, floats near 1. */
    static final long MAX_EXPANSION = 200;
    /** Below this size any ratio is accepted (tiny entries compress unpredictably). */
    static final long MIN_EXPANSION_LIMIT = 1L << 20;
    /** Largest entry, and largest file read from a stream: each is held in one Java array. */
    static final long MAX_FILE = Integer.MAX_VALUE - 8;

    private ModelFileFormat() {}
}

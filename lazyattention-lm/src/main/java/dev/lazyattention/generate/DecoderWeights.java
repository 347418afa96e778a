package dev.lazyattention.generate;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.DecoderLayer;
import dev.lazyattention.model.LazyLmBlock;
import dev.lazyattention.model.LmConfig;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The parameters of a {@link LazyLmBlock}, copied once into plain float arrays laid out for decoding one token at a
 * time ({@link ArrayDecoder}). Every projection is stored transposed, {@code [in][out]}, one array per row
 * ({@link #rows}), so a matrix-vector product is a sum of rows {@code y[o..] += x[i] * W[i][o..]} that streams
 * the weights once and that HotSpot vectorises ({@link MatVec}). The query, key and value projections share one
 * matrix (one pass over the normalised input), and so do the gate and up projections of the MLP. Several decoding
 * threads use copies of some columns of these matrices ({@link #parts}).
 *
 * <p>Immutable and shared by every decoder of a generator; a copy, so it does not follow later training of
 * the model it came from.
 */
public final class DecoderWeights {

    /** The variants whose maths {@link ArrayDecoder} implements; any other is refused. */
    static final Set<AttentionVariant> SUPPORTED = Set.of(AttentionVariant.LAZY, AttentionVariant.SOFTMAX,
            AttentionVariant.BIAS_ONLY, AttentionVariant.ELASTIC_ONLY, AttentionVariant.OFF_BY_ONE,
            AttentionVariant.GATED, AttentionVariant.LEARNED_SINK);

    final LmConfig config;
    final int hidden;
    final int heads;
    final int kvHeads;
    final int headDim;
    final int inner;
    final int vocab;
    final int biasLength;
    final boolean distanceBias;
    final boolean elastic;
    /**
     * Softmax with {@code exp(s_h)} added to its denominator: {@link AttentionVariant#LEARNED_SINK}, and {@link
     * AttentionVariant#OFF_BY_ONE} with every {@code s_h} at 0.
     */
    final boolean sink;
    /** A sigmoid gate per head on the attention output ({@link AttentionVariant#GATED}). */
    final boolean gated;
    final float epsilon;
    /** [V][C] token embedding. */
    final float[] embedding;
    /** Per layer [C]. */
    final float[][] attentionNorm;
    /**
     * Per layer [C][(H + 2G) D (+ H)]: query, key and value projections side by side, then the output gate's
     * projection for gated attention (it reads the same normalised input).
     */
    final float[][][] qkv;
    /** Per layer [H D][C]. */
    final float[][][] output;
    /** Per layer [H], or null for variants without Elastic-Softmax. */
    final float[][] tau;
    /** Per layer [H]: the sink logits s_h (zeros for off-by-one), or null for variants without a sink. */
    final float[][] sinks;
    /** Per layer [H][Lb], or null for variants without the distance bias. */
    final float[][] bias;
    /** Per layer [C]. */
    final float[][] mlpNorm;
    /** Per layer [C][2F]: gate and up projections side by side. */
    final float[][][] gateUp;
    /** Per layer [F][C]. */
    final float[][][] down;
    /** [C]. */
    final float[] finalNorm;
    /** [C][V]. */
    final float[][] head;

    private DecoderWeights(LazyLmBlock lm) {
        config = lm.config();
        hidden = config.hiddenSize();
        heads = config.numHeads();
        kvHeads = config.numKvHeads();
        headDim = config.headDim();
        inner = config.mlpHiddenSize();
        vocab = config.vocabSize();
        biasLength = config.biasLength();
        distanceBias = config.attention().hasDistanceBias();
        elastic = config.attention().hasElasticSoftmax();
        sink = config.attention().hasOffByOneSoftmax() || config.attention().hasLearnedSink();
        gated = config.attention().hasOutputGate();
        epsilon = config.normEpsilon();
        int layers = config.numLayers();
        attentionNorm = new float[layers][];
        qkv = new float[layers][][];
        output = new float[layers][][];
        tau = elastic ? new float[layers][] : null;
        bias = distanceBias ? new float[layers][] : null;
        sinks = sink ? new float[layers][] : null;
        mlpNorm = new float[layers][];
        gateUp = new float[layers][][];
        down = new float[layers][][];
        embedding = values(lm, "embedding");
        finalNorm = values(lm, "final_norm_gain");
        head = rows(transposed(values(lm, "head_weight"), vocab, hidden), hidden);
        List<DecoderLayer> all = lm.layers();
        int kvWidth = kvHeads * headDim;
        int qWidth = heads * headDim;
        for (int l = 0; l < layers; l++) {
            DecoderLayer layer = all.get(l);
            attentionNorm[l] = values(layer, "attention_norm_gain");
            float[] q = transposed(values(layer.attention(), "query_weight"), qWidth, hidden);
            float[] k = transposed(values(layer.attention(), "key_weight"), kvWidth, hidden);
            float[] v = transposed(values(layer.attention(), "value_weight"), kvWidth, hidden);
            qkv[l] = rows(gated
                    ? sideBySide(hidden, q, qWidth, k, kvWidth, v, kvWidth,
                            transposed(values(layer.attention(), "gate_weight"), heads, hidden), heads)
                    : sideBySide(hidden, q, qWidth, k, kvWidth, v, kvWidth), hidden);
            output[l] = rows(transposed(values(layer, "output_weight"), hidden, qWidth), qWidth);
            if (elastic) {
                tau[l] = values(layer, "tau");
            }
            if (distanceBias) {
                bias[l] = values(layer, "distance_bias");
            }
            if (sink) {
                sinks[l] = config.attention().hasLearnedSink() ? values(layer, "sinks") : new float[heads];
            }
            mlpNorm[l] = values(layer, "mlp_norm_gain");
            // The MLP's gate, not the attention's: both are named gate_weight within their own block.
            gateUp[l] = rows(sideBySide(hidden,
                    transposed(values(layer, "mlp_\\d*gate_weight"), inner, hidden), inner,
                    transposed(values(layer, "up_weight"), inner, hidden), inner), hidden);
            down[l] = rows(transposed(values(layer, "down_weight"), hidden, inner), inner);
        }
    }

    /**
     * Copies the weights of {@code lm}.
     *
     * @throws IllegalArgumentException with {@link #unsupportedReason} when the model cannot be decoded here
     */
    public static DecoderWeights of(LazyLanguageModel lm) {
        return of(lm.block(), lm.device());
    }

    /**
     * Copies the weights of a block whose parameters lie on {@code device} (a block that DJL's {@code Criteria}
     * loaded has no {@link LazyLanguageModel} around it).
     *
     * @throws IllegalArgumentException with {@link #unsupportedReason(LazyLmBlock, Device)} when the model cannot be
     *     decoded here
     */
    public static DecoderWeights of(LazyLmBlock block, Device device) {
        String reason = unsupportedReason(block, device);
        if (reason != null) {
            throw new IllegalArgumentException("the array decoder cannot run this model: " + reason);
        }
        return new DecoderWeights(block);
    }

    /**
     * Why {@link ArrayDecoder} cannot decode {@code lm} exactly like the engine, or null when it can: the
     * attention variant must be one it implements, the parameters float32 and on the CPU (on an accelerator
     * the engine path is the fast one).
     */
    public static String unsupportedReason(LazyLanguageModel lm) {
        return unsupportedReason(lm.block(), lm.device());
    }

    /** {@link #unsupportedReason(LazyLanguageModel)} for a block whose parameters lie on {@code device}. */
    public static String unsupportedReason(LazyLmBlock block, Device device) {
        AttentionVariant variant = block.config().attention();
        if (!SUPPORTED.contains(variant)) {
            return "attention variant " + variant.id() + " is not implemented by the array decoder";
        }
        if (!Device.Type.CPU.equals(device.getDeviceType())) {
            return "the model is on " + device + ", not the CPU";
        }
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray array = p.getValue().getArray();
            if (array.getDataType() != DataType.FLOAT32) {
                return "parameter " + p.getKey() + " is " + array.getDataType() + ", not float32";
            }
        }
        return null;
    }

    /** The weights split for each count of decoding threads asked for, made once and shared by every decoder. */
    private final Map<Integer, DecoderPart[]> partsByCount = new HashMap<>();

    /** {@link DecoderPart#split} of these weights in {@code count} parts (1 to {@link #heads}), made on first use. */
    synchronized DecoderPart[] parts(int count) {
        return partsByCount.computeIfAbsent(count, n -> DecoderPart.split(this, n));
    }

    public LmConfig config() {
        return config;
    }

    /**
     * The float32 values of the one parameter of {@code block} whose name ends with {@code suffix} (a regular
     * expression) at a segment boundary (DJL names a child's parameters {@code 01child_name}).
     */
    private static float[] values(Block block, String suffix) {
        float[] found = null;
        Pattern pattern = Pattern.compile("(^|_)\\d*" + suffix + "$");
        for (Pair<String, Parameter> p : block.getParameters()) {
            String name = p.getKey();
            if (pattern.matcher(name).find()) {
                if (found != null) {
                    throw new IllegalStateException("more than one parameter ends with " + suffix);
                }
                found = p.getValue().getArray().toFloatArray();
            }
        }
        if (found == null) {
            throw new IllegalStateException("no parameter ends with " + suffix + " in " + block.getClass().getSimpleName());
        }
        return found;
    }

    /**
     * A row-major matrix as one array per row: the decoder's kernel then indexes every row and the output with
     * the same index, which HotSpot's vectoriser (JDK 17) can prove free of overlap; a row offset into one flat
     * array would keep the loop scalar (see {@link MatVec}).
     */
    static float[][] rows(float[] flat, int count) {
        int width = flat.length / count;
        float[][] rows = new float[count][];
        for (int r = 0; r < count; r++) {
            rows[r] = java.util.Arrays.copyOfRange(flat, r * width, (r + 1) * width);
        }
        return rows;
    }


    /** A DJL linear weight [out][in] as [in][out]. */
    private static float[] transposed(float[] w, int out, int in) {
        if (w.length != out * in) {
            throw new IllegalStateException("weight of " + w.length + " values, expected " + out + " x " + in);
        }
        float[] t = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                t[i * out + o] = w[o * in + i];
            }
        }
        return t;
    }

    /** Matrices [rows][width_k] joined column-wise into [rows][sum of widths]; arguments alternate matrix, width. */
    private static float[] sideBySide(int rows, Object... matricesAndWidths) {
        int total = 0;
        for (int k = 1; k < matricesAndWidths.length; k += 2) {
            total += (Integer) matricesAndWidths[k];
        }
        float[] joined = new float[rows * total];
        int column = 0;
        for (int k = 0; k < matricesAndWidths.length; k += 2) {
            float[] m = (float[]) matricesAndWidths[k];
            int width = (Integer) matricesAndWidths[k + 1];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(m, r * width, joined, r * total + column, width);
            }
            column += width;
        }
        return joined;
    }
}

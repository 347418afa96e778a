package dev.lazyattention.modelfile;

import dev.lazyattention.model.LmConfig;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Checks a {@code lazylm-0000.params} file against the model its {@code config.json} describes, before DJL
 * reads it. DJL's reader trusts the sizes written in the file (a shape's rank, an array's byte length) and
 * allocates them before reading; a small hostile file could claim gigabytes. This walk follows DJL's
 * parameter format for exactly the blocks of a {@code LazyLmBlock}, reads nothing it has not bounded, and
 * requires every parameter to have the shape the configuration implies, so the load that follows
 * allocates only what the file holds.
 */
final class ParameterFileCheck {

    private final ByteBuffer in;
    private final LmConfig config;
    private final String file;
    /** DJL's name prefix of the block being read, for messages ({@code layer1_attention_query_}). */
    private String path = "";

    private ParameterFileCheck(byte[] bytes, LmConfig config, String file) {
        this.in = ByteBuffer.wrap(bytes); // big-endian, as DataOutputStream writes
        this.config = config;
        this.file = file;
    }

    /** @throws ModelFileException naming the parameter or structure that does not match */
    static void check(byte[] bytes, LmConfig config, String file) throws ModelFileException {
        ParameterFileCheck c = new ParameterFileCheck(bytes, config, file);
        try {
            c.model();
            if (c.in.hasRemaining()) {
                throw c.fail(c.in.remaining() + " unexpected bytes after the last parameter");
            }
        } catch (BufferUnderflowException e) {
            throw c.fail("ends early (truncated)");
        }
    }

    private void model() throws ModelFileException {
        expectBytes("DJL@", "not a DJL parameter file");
        expectInt(1, "model format version");
        utf(); // model name
        if (!utf().equals("FLOAT32")) {
            throw fail("parameters must be float32");
        }
        int inputs = bounded(in.getInt(), 16, "input count");
        for (int i = 0; i < inputs; i++) {
            utf();
            shape();
        }
        int properties = bounded(in.getInt(), 1024, "property count");
        for (int i = 0; i < properties; i++) {
            utf();
            utf();
        }
        // LazyLmBlock
        block(1);
        parameter("embedding", config.vocabSize(), config.hiddenSize());
        int c = config.hiddenSize();
        int h = config.numHeads();
        int d = config.headDim();
        int kv = config.numKvHeads() * d;
        int layers = 0;
        while (!atFinalNorm()) {
            if (layers == config.numLayers()) {
                throw layerCountMismatch(extraLayers(layers));
            }
            decoderLayer("layer" + layers + "_", c, h, d, kv);
            layers++;
        }
        if (layers != config.numLayers()) {
            throw layerCountMismatch(Integer.toString(layers));
        }
        path = "final_norm_";
        rmsNorm();
        path = "head_";
        linear(config.vocabSize(), c);
    }

    /** One DecoderLayer: attention norm, attention block, MLP norm, SwiGLU. */
    private void decoderLayer(String layer, int c, int h, int d, int kv) throws ModelFileException {
        block(1); // DecoderLayer
        path = layer + "attention_norm_";
        rmsNorm();
        path = layer + "attention_";
        expectByte(1, "LazyAttentionBlock version");
        expectInt(c, "hiddenSize");
        expectInt(h, "numHeads");
        expectInt(config.numKvHeads(), "numKvHeads");
        expectInt(d, "headDim");
        if (!utf().equals(config.attention().id())) {
            throw fail("attention variant differs from config.json");
        }
        expectInt(config.biasLength(), "biasLength");
        in.getDouble(); // RoPE base, checked by the block itself
        in.getInt(); // maxPositions
        inputShapes();
        if (config.attention().hasElasticSoftmax()) {
            parameter("tau", h);
        }
        if (config.attention().hasDistanceBias()) {
            parameter("distance_bias", h, config.biasLength());
        }
        if (config.attention().hasLearnedSink()) {
            parameter("sinks", h);
        }
        path = layer + "attention_query_";
        linear(h * d, c);
        path = layer + "attention_key_";
        linear(kv, c);
        path = layer + "attention_value_";
        linear(kv, c);
        path = layer + "attention_output_";
        linear(c, h * d);
        if (config.attention().hasOutputGate()) {
            path = layer + "attention_gate_";
            linear(h, c);
        }
        path = layer + "mlp_norm_";
        rmsNorm();
        block(1); // SwiGlu
        path = layer + "mlp_gate_";
        linear(config.mlpHiddenSize(), c);
        path = layer + "mlp_up_";
        linear(config.mlpHiddenSize(), c);
        path = layer + "mlp_down_";
        linear(c, config.mlpHiddenSize());
    }

    /**
     * Whether the next block is the final RMSNorm rather than another decoder layer. Both start with version
     * 1 and input shapes; a decoder layer continues with its attention norm's version byte, the final norm
     * with its {@code gain} parameter (marked {@code 'P'}).
     */
    private boolean atFinalNorm() throws ModelFileException {
        int start = in.position();
        try {
            expectByte(1, "block version");
            inputShapes();
            return in.remaining() >= 2 && in.getChar(in.position()) == 'P';
        } finally {
            in.position(start);
        }
    }

    /** How many layers the file holds past the {@code counted} ones config.json expects, as text. */
    private String extraLayers(int counted) {
        int layers = counted;
        try {
            while (!atFinalNorm()) {
                decoderLayer("layer" + layers + "_", config.hiddenSize(), config.numHeads(), config.headDim(),
                        config.numKvHeads() * config.headDim());
                layers++;
            }
            return Integer.toString(layers);
        } catch (ModelFileException | BufferUnderflowException e) {
            return "more than " + layers;
        }
    }

    private ModelFileException layerCountMismatch(String held) {
        return fail("config.json says numLayers " + config.numLayers() + " but " + ModelFileFormat.PARAMETERS
                + " holds " + held + " layers");
    }

    private void block(int version) throws ModelFileException {
        expectByte(version, "block version");
        inputShapes();
    }

    private void rmsNorm() throws ModelFileException {
        block(1);
        parameter("gain", config.hiddenSize());
    }

    private void linear(long units, long inputs) throws ModelFileException {
        expectByte(4, "Linear version");
        if (in.getLong() != units || in.getLong() != inputs) {
            throw fail("a linear layer's size differs from config.json");
        }
        shape();
        parameter("weight", units, inputs);
    }

    private void inputShapes() throws ModelFileException {
        int n = bounded(in.getInt(), 16, "input shape count");
        for (int i = 0; i < n; i++) {
            shape();
        }
    }

    private long[] shape() throws ModelFileException {
        int rank = bounded(in.getInt(), 8, "shape rank");
        long[] dims = new long[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = in.getLong();
            if (dims[i] < -1) {
                throw fail("negative dimension in a shape");
            }
        }
        int layout = bounded(in.getInt(), 8, "shape layout length");
        for (int i = 0; i < layout; i++) {
            in.getChar();
        }
        return dims;
    }

    private void parameter(String name, long... expected) throws ModelFileException {
        if (in.getChar() != 'P') {
            throw fail("parameter " + name + " is missing");
        }
        expectByte(1, "parameter version");
        if (!utf().equals(name)) {
            throw fail("expected parameter " + name);
        }
        if (!utf().equals("NDAR")) {
            throw fail("parameter " + name + " is not an NDArray");
        }
        int version = in.getInt();
        if (version < 1 || version > 3) {
            throw fail("parameter " + name + " has array format " + version);
        }
        if (version > 1 && in.get() == 1) {
            utf();
        }
        utf(); // sparse format
        if (!utf().equals("FLOAT32")) {
            throw fail("parameter " + name + " is not float32");
        }
        long[] dims = shape();
        if (!Arrays.equals(dims, expected)) {
            throw fail("parameter " + name + " has shape " + Arrays.toString(dims) + " but config.json implies "
                    + Arrays.toString(expected));
        }
        ByteOrder order = ByteOrder.nativeOrder(); // what DJL assumes for array formats 1 and 2
        if (version > 2) {
            order = in.get() == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        }
        long bytes = 4;
        for (long e : expected) {
            bytes *= e;
        }
        int length = in.getInt();
        if (length != bytes || length > in.remaining()) {
            throw fail("parameter " + name + " declares " + length + " bytes; its shape needs " + bytes
                    + " and " + in.remaining() + " remain");
        }
        requireFinite(name, order, length);
        in.position(in.position() + length);
    }

    /**
     * Refuses the first NaN or infinite value among the {@code length} float32 bytes at the current position:
     * such a weight makes every score of the model NaN. One pass over the bytes, no copy.
     */
    private void requireFinite(String name, ByteOrder order, int length) throws ModelFileException {
        ByteBuffer values = in.slice(in.position(), length).order(order);
        int count = length / 4;
        for (int i = 0; i < count; i++) {
            // A float is NaN or infinite exactly when its 8 exponent bits are all set.
            if ((values.getInt(i * 4) & 0x7f800000) == 0x7f800000) {
                float value = values.getFloat(i * 4);
                throw fail("parameter " + path + name + " holds " + value + " at index " + i
                        + " (flat, of " + count + "); weights must be finite numbers");
            }
        }
    }

    private String utf() throws ModelFileException {
        int length = Short.toUnsignedInt(in.getShort());
        if (length > in.remaining()) {
            throw fail("ends inside a string");
        }
        byte[] b = new byte[length];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private void expectBytes(String magic, String problem) throws ModelFileException {
        byte[] b = new byte[magic.length()];
        in.get(b);
        if (!magic.equals(new String(b, StandardCharsets.US_ASCII))) {
            throw fail(problem);
        }
    }

    private void expectInt(int expected, String what) throws ModelFileException {
        int v = in.getInt();
        if (v != expected) {
            throw fail(what + " is " + v + " but config.json says " + expected);
        }
    }

    private void expectByte(int expected, String what) throws ModelFileException {
        int v = in.get();
        if (v != expected) {
            throw fail(what + " is " + v + ", expected " + expected);
        }
    }

    private int bounded(int value, int max, String what) throws ModelFileException {
        if (value < 0 || value > max) {
            throw fail(what + " " + value + " is outside [0, " + max + "]");
        }
        return value;
    }

    private ModelFileException fail(String problem) {
        return new ModelFileException(file, ModelFileFormat.PARAMETERS, problem);
    }
}

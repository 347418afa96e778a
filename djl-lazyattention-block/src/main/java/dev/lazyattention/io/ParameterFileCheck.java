package dev.lazyattention.io;

import dev.lazyattention.model.LmConfig;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Checks a {@code lazylm-0000.params} file against the model its {@code config.json} describes, before DJL
 * reads it. DJL's reader trusts the sizes written in the file (a shape's rank, an array's byte length) and
 * allocates them before reading; a small hostile file could claim gigabytes. This walk follows DJL's
 * parameter format for exactly the blocks of a {@code LazyLm}, reads nothing it has not bounded, and
 * requires every parameter to have the shape the configuration implies, so the load that follows
 * allocates only what the file holds.
 */
final class ParameterFileCheck {

    private final ByteBuffer in;
    private final LmConfig config;
    private final String file;

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
        // LazyLm
        block(1);
        parameter("embedding", config.vocabSize(), config.hiddenSize());
        int c = config.hiddenSize();
        int h = config.numHeads();
        int d = config.headDim();
        int kv = config.numKvHeads() * d;
        for (int layer = 0; layer < config.numLayers(); layer++) {
            block(1); // DecoderLayer
            rmsNorm();
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
            linear(h * d, c);
            linear(kv, c);
            linear(kv, c);
            linear(c, h * d);
            rmsNorm();
            block(1); // SwiGlu
            linear(config.mlpHiddenSize(), c);
            linear(config.mlpHiddenSize(), c);
            linear(c, config.mlpHiddenSize());
        }
        rmsNorm();
        linear(config.vocabSize(), c);
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
        if (version > 2) {
            in.get(); // byte order
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
        in.position(in.position() + length);
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

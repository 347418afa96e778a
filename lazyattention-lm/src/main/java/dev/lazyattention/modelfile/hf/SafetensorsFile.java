package dev.lazyattention.modelfile.hf;

import dev.lazyattention.modelfile.ModelFileException;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@code model.safetensors} file: the header is parsed here, with its length bounded by the file and
 * {@link #MAX_HEADER}, and every tensor is checked (dtype, offsets inside the data area, no overlaps, no
 * holes) before any tensor is read; then {@link #read} streams one tensor at a time from the file into a
 * float32 buffer, converting half precision in Java and refusing NaN and infinity ({@link #checkFinite} does
 * the same without keeping anything). Written by hand rather than
 * with DJL's {@code NDList.decode}, which reads the whole file into memory, trusts its header and hands
 * bfloat16 to the engine.
 */
public final class SafetensorsFile implements Closeable {

    /** Largest header accepted (Hugging Face's own reader allows 100 MB). */
    public static final long MAX_HEADER = 100L << 20;
    /** Bytes read and converted at a time. */
    private static final int CHUNK = 1 << 20;

    /**
     * One tensor of the header.
     *
     * @param dtype F32, F16 or BF16
     * @param start first byte in the data area
     * @param end one past the last byte in the data area
     */
    public record Tensor(String name, String dtype, Shape shape, long start, long end) {
        /** Bytes of one element. */
        public int elementBytes() {
            return dtype.equals("F32") ? 4 : 2;
        }
    }

    private final String folder;
    private final String entry;
    private final FileChannel channel;
    private final long dataStart;
    private final long dataSize;
    private final Map<String, Tensor> tensors;

    private SafetensorsFile(String folder, String entry, FileChannel channel, long dataStart, long dataSize,
            Map<String, Tensor> tensors) {
        this.folder = folder;
        this.entry = entry;
        this.channel = channel;
        this.dataStart = dataStart;
        this.dataSize = dataSize;
        this.tensors = tensors;
    }

    /**
     * Opens and checks {@code file}; refusals name {@code folder}, {@code entry}, the tensor and the reason.
     */
    public static SafetensorsFile open(Path file, String folder, String entry) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = channel.size();
            if (size < 8) {
                throw new ModelFileException(folder, entry, "is " + size + " bytes, shorter than its 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0, folder, entry);
            long headerLength = lengthBytes.getLong(0);
            long bound = Math.min(MAX_HEADER, size - 8);
            if (headerLength < 2 || headerLength > bound) {
                throw new ModelFileException(folder, entry, "header length " + Long.toUnsignedString(headerLength)
                        + " is beyond its bound of " + bound + " bytes (the file's " + size + " bytes, at most "
                        + MAX_HEADER + ")");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8, folder, entry);
            long dataStart = 8 + headerLength;
            long dataSize = size - dataStart;
            Map<String, Tensor> tensors = parse(new String(header.array(), StandardCharsets.UTF_8), dataSize, folder,
                    entry);
            SafetensorsFile opened = new SafetensorsFile(folder, entry, channel, dataStart, dataSize, tensors);
            channel = null;
            return opened;
        } finally {
            if (channel != null) {
                channel.close();
            }
        }
    }

    private static Map<String, Tensor> parse(String json, long dataSize, String folder, String entry)
            throws ModelFileException {
        JsonObject root;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new ModelFileException(folder, entry, "header is not a JSON object");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ModelFileException(folder, entry, "header is not valid JSON: " + e.getMessage(), e);
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : root.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            tensors.put(e.getKey(), tensor(e.getKey(), e.getValue(), dataSize, folder, entry));
        }
        List<Tensor> byStart = new ArrayList<>(tensors.values());
        byStart.sort(Comparator.comparingLong(Tensor::start).thenComparingLong(Tensor::end));
        Tensor previous = null; // the tensor that ends last so far
        for (Tensor t : byStart) {
            if (previous != null && t.start() < previous.end()) {
                throw new ModelFileException(folder, entry, "tensor " + t.name() + " at bytes [" + t.start() + ", "
                        + t.end() + ") overlaps tensor " + previous.name() + " at [" + previous.start() + ", "
                        + previous.end() + ")");
            }
            if (previous == null || t.end() > previous.end()) {
                previous = t;
            }
        }
        long covered = 0;
        for (Tensor t : byStart) {
            if (t.start() > covered) {
                throw new ModelFileException(folder, entry, "bytes [" + covered + ", " + t.start()
                        + ") of the data area belong to no tensor");
            }
            covered = t.end();
        }
        if (covered != dataSize) {
            throw new ModelFileException(folder, entry, "bytes [" + covered + ", " + dataSize
                    + ") of the data area belong to no tensor");
        }
        return tensors;
    }

    private static Tensor tensor(String name, JsonElement value, long dataSize, String folder, String entry)
            throws ModelFileException {
        String where = "tensor " + name + ": ";
        if (!value.isJsonObject()) {
            throw new ModelFileException(folder, entry, where + "header entry is not an object");
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dtype = o.get("dtype");
        String type = dtype != null && dtype.isJsonPrimitive() ? dtype.getAsString() : String.valueOf(dtype);
        if (!type.equals("F32") && !type.equals("F16") && !type.equals("BF16")) {
            throw new ModelFileException(folder, entry, where + "dtype " + type + " is not one of F32, F16, BF16");
        }
        long[] dims = longs(o.get("shape"), -1, where + "shape", folder, entry);
        long[] offsets = longs(o.get("data_offsets"), 2, where + "data_offsets", folder, entry);
        if (offsets[0] > offsets[1] || offsets[1] > dataSize) {
            throw new ModelFileException(folder, entry, where + "data_offsets [" + offsets[0] + ", " + offsets[1]
                    + "] lie outside the data area of " + dataSize + " bytes");
        }
        long elements = 1;
        for (long d : dims) {
            elements = d == 0 ? 0 : (elements > Long.MAX_VALUE / 4 / d ? Long.MAX_VALUE / 4 : elements * d);
        }
        int elementBytes = type.equals("F32") ? 4 : 2;
        if (elements * elementBytes != offsets[1] - offsets[0]) {
            throw new ModelFileException(folder, entry, where + "shape " + new Shape(dims) + " of " + type + " needs "
                    + elements * elementBytes + " bytes but data_offsets [" + offsets[0] + ", " + offsets[1]
                    + "] hold " + (offsets[1] - offsets[0]));
        }
        return new Tensor(name, type, new Shape(dims), offsets[0], offsets[1]);
    }

    private static long[] longs(JsonElement e, int length, String what, String folder, String entry)
            throws ModelFileException {
        if (e == null || !e.isJsonArray() || (length >= 0 && e.getAsJsonArray().size() != length)
                || e.getAsJsonArray().size() > 8) {
            throw new ModelFileException(folder, entry, what + " " + e + " is not " + (length >= 0 ? length + " " : "")
                    + "non-negative integers");
        }
        JsonArray a = e.getAsJsonArray();
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = new java.math.BigDecimal(a.get(i).getAsString()).longValueExact();
            } catch (ArithmeticException | NumberFormatException | UnsupportedOperationException
                    | IllegalStateException x) {
                out[i] = -1;
            }
            if (out[i] < 0) {
                throw new ModelFileException(folder, entry, what + " " + e + " is not non-negative integers");
            }
        }
        return out;
    }

    /** The tensors by name, in header order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** Bytes after the header. */
    public long dataSize() {
        return dataSize;
    }

    /**
     * Reads {@code tensor} as float32 into a new direct buffer in the platform's byte order, {@link #CHUNK}
     * bytes of file at a time (half precision converted in Java): the Java heap holds one chunk, not the
     * tensor, and the engine takes the buffer as it is.
     *
     * @throws ModelFileException naming the tensor and the element if it holds NaN or infinity
     */
    public ByteBuffer read(Tensor tensor) throws IOException {
        long elements = tensor.shape().size();
        if (elements > (Integer.MAX_VALUE - 8) / Float.BYTES) {
            throw new ModelFileException(folder, entry, "tensor " + tensor.name() + " has " + elements
                    + " elements, more than one buffer of float32 holds");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) elements * Float.BYTES).order(ByteOrder.nativeOrder());
        stream(tensor, out::putFloat);
        return out.flip();
    }

    /**
     * Reads {@code tensor} without keeping it, so that a file is refused before a model is allocated for it.
     *
     * @throws ModelFileException naming the tensor and the element if it holds NaN or infinity
     */
    public void checkFinite(Tensor tensor) throws IOException {
        stream(tensor, v -> {});
    }

    private interface Values {
        void put(float value);
    }

    /** Every value of {@code tensor} as float32, in order, {@link #CHUNK} bytes of file at a time. */
    private void stream(Tensor tensor, Values values) throws IOException {
        long elements = tensor.shape().size();
        int size = tensor.elementBytes();
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(elements * size, size)))
                .order(ByteOrder.LITTLE_ENDIAN);
        long position = dataStart + tensor.start();
        long next = 0;
        boolean bfloat16 = tensor.dtype().equals("BF16");
        while (next < elements) {
            int count = (int) Math.min(chunk.capacity() / size, elements - next);
            chunk.clear().limit(count * size);
            readFully(channel, chunk, position, folder, entry);
            position += (long) count * size;
            for (int i = 0; i < count; i++) {
                float v;
                if (size == 4) {
                    v = chunk.getFloat(i * 4);
                } else if (bfloat16) {
                    v = HalfFloats.bfloat16ToFloat(chunk.getShort(i * 2));
                } else {
                    v = HalfFloats.float16ToFloat(chunk.getShort(i * 2));
                }
                if (!Float.isFinite(v)) {
                    throw new ModelFileException(folder, entry, "tensor " + tensor.name() + " holds " + v
                            + " at element " + (next + i) + "; a model must hold finite numbers");
                }
                values.put(v);
            }
            next += count;
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position, String folder, String entry)
            throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, at);
            if (n < 0) {
                throw new ModelFileException(folder, entry, "ends at byte " + at + ", before the data it declares");
            }
            at += n;
        }
    }

    /** Names of tensors of {@code names} that the file lacks. */
    public List<String> missing(Collection<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            if (!tensors.containsKey(n)) {
                out.add(n);
            }
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

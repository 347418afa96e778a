package dev.lazyattention.modelfile.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrayAdapter;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * A named tensor whose little-endian bytes are made in Java when DJL's {@code NDList} safetensors encoder asks
 * for them, one tensor at a time: so half-precision tensors never pass through the engine, and the export
 * holds one tensor's bytes at a time rather than the whole file.
 */
final class HostArray extends NDArrayAdapter {

    private final Supplier<byte[]> bytes;

    HostArray(String name, Shape shape, DataType dataType, Supplier<byte[]> bytes) {
        super(null, null, shape, dataType, UUID.randomUUID().toString());
        this.name = name;
        this.bytes = bytes;
    }

    /** {@inheritDoc} */
    @Override
    public ByteBuffer toByteBuffer(boolean tryDirect) {
        return ByteBuffer.wrap(bytes.get()).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** {@inheritDoc} */
    @Override
    public void intern(NDArray replaced) {
        throw new UnsupportedOperationException("a host array only carries bytes to the encoder");
    }

    /** {@inheritDoc} */
    @Override
    public void detach() {}
}

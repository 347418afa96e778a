package dev.lazyattention.opennlp;

import opennlp.tools.util.model.ArtifactSerializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Reads and writes one entry of a {@code .lazylm.zip} model file as its exact bytes. The model file's
 * {@code manifest.properties} names this class ({@code serializer-class-<entry>=}) for every entry that is
 * not a properties file, so OpenNLP's {@code BaseModel} loads those entries through it. Keeping the bytes
 * verbatim is what lets {@code checksums.sha256} be verified and the file be written back unchanged.
 *
 * <p>OpenNLP instantiates this class by name through its {@code ExtensionLoader}, which needs the public
 * no-argument constructor and the package to be allowed (see {@link LazyAttentionModel}).
 */
public final class ModelEntrySerializer implements ArtifactSerializer<byte[]> {

    /** Largest entry a Java array can hold. */
    static final int MAX_ENTRY_BYTES = Integer.MAX_VALUE - 8;

    public ModelEntrySerializer() {}

    /** Reads the rest of the entry; the stream stays open, as OpenNLP expects. */
    @Override
    public byte[] create(InputStream in) throws IOException {
        return readEntry(in);
    }

    /** Writes the bytes unchanged; the stream stays open. */
    @Override
    public void serialize(byte[] artifact, OutputStream out) throws IOException {
        out.write(artifact);
    }

    /** All remaining bytes of {@code in}, refusing an entry too large for one array. */
    static byte[] readEntry(InputStream in) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        byte[] chunk = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = in.read(chunk)) > 0) {
            total += n;
            if (total > MAX_ENTRY_BYTES) {
                throw new IOException("a model file entry is larger than " + MAX_ENTRY_BYTES + " bytes");
            }
            buffer.write(chunk, 0, n);
        }
        return buffer.toByteArray();
    }
}

package dev.lazyattention.opennlp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Properties;

/**
 * A properties entry of a model file ({@code manifest.properties}, {@code serving.properties}) that
 * remembers the exact bytes it was read from. OpenNLP's {@code BaseModel} needs the manifest as a {@link
 * Properties}, but re-storing a {@code Properties} reorders keys and adds a date, which would break the
 * entry's SHA-256 in {@code checksums.sha256}; writing the remembered bytes keeps the file verifiable.
 */
final class VerbatimProperties extends Properties {

    private static final long serialVersionUID = 1L;

    private final byte[] bytes;

    private VerbatimProperties(byte[] bytes) {
        this.bytes = bytes.clone();
    }

    /** Parses {@code bytes} as a properties file (ISO-8859-1 with escapes, as {@link Properties#load}). */
    static VerbatimProperties parse(byte[] bytes) throws IOException {
        VerbatimProperties p = new VerbatimProperties(bytes);
        p.load(new ByteArrayInputStream(bytes));
        return p;
    }

    /** The bytes the properties were read from. */
    byte[] bytes() {
        return bytes.clone();
    }

    /** Whether the content still equals what the bytes say (nobody changed a property since). */
    boolean isUnchanged() {
        try {
            Properties original = new Properties();
            original.load(new ByteArrayInputStream(bytes));
            return original.equals(this);
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes the original bytes, or the current content when a property was changed. */
    void writeTo(OutputStream out) throws IOException {
        if (isUnchanged()) {
            out.write(bytes);
        } else {
            store(out, null);
        }
    }
}

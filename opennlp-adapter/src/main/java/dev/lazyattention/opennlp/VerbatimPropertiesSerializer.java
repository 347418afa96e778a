package dev.lazyattention.opennlp;

import opennlp.tools.util.model.ArtifactSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Properties;

/**
 * The serializer {@link LazyAttentionModel} registers for {@code .properties} entries in place of OpenNLP's
 * own: it reads them as {@link VerbatimProperties}, so the manifest is still a {@link Properties} for
 * {@code BaseModel} while its exact bytes survive for checksum verification and for writing the file back.
 */
final class VerbatimPropertiesSerializer implements ArtifactSerializer<Properties> {

    @Override
    public Properties create(InputStream in) throws IOException {
        return VerbatimProperties.parse(ModelEntrySerializer.readEntry(in));
    }

    @Override
    public void serialize(Properties artifact, OutputStream out) throws IOException {
        if (artifact instanceof VerbatimProperties verbatim) {
            verbatim.writeTo(out);
        } else {
            artifact.store(out, null);
        }
    }
}

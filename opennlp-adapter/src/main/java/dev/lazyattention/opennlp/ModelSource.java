package dev.lazyattention.opennlp;

import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.modelfile.ModelContents;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelEntries;
import dev.lazyattention.modelfile.ModelFileException;
import dev.lazyattention.modelfile.hf.HfFolder;
import opennlp.tools.util.InvalidFormatException;

import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Checks a model file with the checks of every loader ({@link ModelFile}, {@link ModelContents}) before
 * OpenNLP's {@code BaseModel} parses it. {@code BaseModel} fails with a {@code NullPointerException} on a file that is not a zip or has no
 * manifest, and with bare zip errors on a truncated one; checked first, every such file is refused with an
 * {@link InvalidFormatException} that names the file and the bad entry.
 */
final class ModelSource {

    private ModelSource() {}

    /**
     * A verified model file, opened for {@code BaseModel}; a model folder in Hugging Face's layout is read by
     * {@link HfFolder} (the reader of every loader) and handed over as the model file of its entries.
     */
    static InputStream verifiedFile(Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("the model file must not be null");
        }
        if (!Files.exists(file)) {
            throw new FileNotFoundException(file + ": model file not found");
        }
        if (HfFolder.isFolder(file)) {
            ModelEntries entries;
            try {
                entries = LazyLanguageModel.readEntries(file);
            } catch (ModelFileException e) {
                throw refusal(e, file.toString());
            }
            Path temp = Files.createTempFile("lazylm-opennlp-", ".zip");
            try {
                ModelFile.write(temp, entries);
                return new DeletingInputStream(temp);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(temp);
                throw e;
            }
        }
        try {
            ModelContents.check(ModelFile.read(file), file.toString());
        } catch (ModelFileException e) {
            throw refusal(e, file.toString());
        }
        return new BufferedInputStream(Files.newInputStream(file));
    }

    /** A verified model read from a URL, opened for {@code BaseModel}. */
    static InputStream verifiedUrl(URL url) throws IOException {
        if (url == null) {
            throw new IllegalArgumentException("the model URL must not be null");
        }
        try (InputStream in = url.openStream()) {
            return verifiedStream(in, url.toString());
        }
    }

    /**
     * Copies {@code in} (read to its end, not closed) to a temporary file, verifies it and opens it for
     * {@code BaseModel}; the temporary file is deleted when {@code BaseModel} closes the stream.
     */
    static InputStream verifiedStream(InputStream in, String source) throws IOException {
        if (in == null) {
            throw new IllegalArgumentException("the model input stream must not be null");
        }
        Path temp = Files.createTempFile("lazylm-opennlp-", ".zip");
        boolean handedOver = false;
        try {
            Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            try {
                ModelContents.check(ModelFile.read(temp), temp.toString());
            } catch (ModelFileException e) {
                throw refusal(e, source);
            }
            InputStream opened = new DeletingInputStream(temp);
            handedOver = true;
            return opened;
        } finally {
            if (!handedOver) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** The block's refusal as OpenNLP's exception, naming {@code source} instead of a temporary file. */
    static InvalidFormatException refusal(ModelFileException e, String source) {
        String prefix = e.file() + (e.entry() == null ? "" : " [" + e.entry() + "]") + ": ";
        String message = e.getMessage();
        String problem = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
        return new InvalidFormatException(source + (e.entry() == null ? "" : " [" + e.entry() + "]") + ": " + problem, e);
    }

    /** Reads a temporary copy and deletes it on close. */
    private static final class DeletingInputStream extends FilterInputStream {
        private final Path file;

        DeletingInputStream(Path file) throws IOException {
            super(new BufferedInputStream(Files.newInputStream(file)));
            this.file = file;
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }
}

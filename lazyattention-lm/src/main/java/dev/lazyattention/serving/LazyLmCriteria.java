package dev.lazyattention.serving;

import dev.lazyattention.modelfile.ModelContents;
import dev.lazyattention.modelfile.ModelEntries;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelFileFormat;
import dev.lazyattention.lm.LazyLanguageModel;

import ai.djl.repository.zoo.Criteria;
import ai.djl.util.Utils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * DJL {@code Criteria} for a model file, checked before DJL sees it:
 *
 * <pre>
 * Criteria&lt;String, Float&gt; criteria = LazyLmCriteria.builder(Path.of("model.lazylm.zip"))
 *         .setTypes(String.class, Float.class)
 *         .build();
 * try (ZooModel&lt;String, Float&gt; model = criteria.loadModel(); Predictor&lt;String, Float&gt; p = model.newPredictor()) {
 *     float logProbability = p.predict("The quick fox.");   // natural log, a text of at most one context window
 * }
 * </pre>
 *
 * <p>The {@code Float} of a {@code (String, Float)} predictor is the natural-log probability of the text,
 * each token predicted from the ones before it after {@code <|endoftext|>} (as {@code SequenceScorer} scores
 * it); a text longer than one context window is refused (score it with {@code SequenceScorer}). The other
 * types are listed in {@link LazyLmTranslatorFactory}.
 *
 * <p>A missing, foreign or damaged file is refused here, before DJL runs, with a {@link dev.lazyattention.modelfile.ModelFileException}
 * naming the file, the entry and the reason ({@code "/models/m.lazylm.zip: file not found"}). Plain {@code
 * Criteria.builder().optModelPath(file)} reports a missing file with DJL's own "No model matching the criteria
 * is found" (no code of ours runs), and a foreign zip only after DJL unpacked it.
 *
 * <p>Given a zip, DJL unpacks every entry into its cache before any code of ours runs, so a compression
 * bomb or a zip of ten thousand entries reaches the disk. Here the file is verified where it lies (the
 * checks of {@link ModelFile} and {@link ModelContents}, the same as every other loader), and DJL gets a
 * folder holding only the verified entries, written once per file content under DJL's cache folder
 * ({@code DJL_CACHE_DIR}, default {@code ~/.djl.ai}) in {@code lazylm/<sha256>}.
 */
public final class LazyLmCriteria {

    /** The folder under DJL's cache folder that holds the verified copies. */
    static final String FOLDER = "lazylm";

    private LazyLmCriteria() {}

    /**
     * A builder with the checked folder as model path and {@link LazyLmTranslatorFactory}; set the types
     * (and a device, arguments, ...) as with any {@code Criteria}.
     *
     * @throws dev.lazyattention.modelfile.ModelFileException naming the file and entry when the file is refused; nothing is written then
     */
    public static Criteria.Builder<?, ?> builder(Path modelFile) throws IOException { // a file or a model folder
        return Criteria.builder()
                .optModelPath(checkedFolder(modelFile))
                .optModelName(ModelFileFormat.DJL_MODEL_NAME)
                .optTranslatorFactory(new LazyLmTranslatorFactory());
    }

    /**
     * Verifies {@code modelFile} (a {@code .lazylm.zip}, or a model folder in Hugging Face's layout, read as
     * {@link LazyLanguageModel#readEntries} reads it for every loader) and returns a folder holding exactly its verified entries.
     */
    public static Path checkedFolder(Path modelFile) throws IOException {
        ModelEntries entries = LazyLanguageModel.readEntries(modelFile);
        ModelContents.check(entries, modelFile.toString());
        String digest = ModelEntries.sha256(entries.checksums().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Path parent = Utils.getCacheDir().resolve(FOLDER);
        Path folder = parent.resolve(digest);
        if (Files.isDirectory(folder)) {
            return folder; // same content; the block factory verifies the files again when DJL loads them
        }
        Files.createDirectories(parent);
        Path temp = Files.createTempDirectory(parent, "." + digest + ".");
        try {
            ModelFile.writeDirectory(temp, entries);
            try {
                Files.move(temp, folder, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, folder);
            }
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            // Another thread or process wrote the same content first.
        } finally {
            deleteTree(temp);
        }
        return folder;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}

package dev.lazyattention.spark;

import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Where a model file is on this machine: at its own path (a shared file system, or a local run), else the
 * executor's copy of a file shipped with {@code spark-submit --files} or {@code SparkContext.addFile}, which
 * {@link SparkFiles#get} finds by file name. So {@code --files /home/me/m.lazylm.zip} works with the model given
 * as {@code m.lazylm.zip} or as the same absolute path. A model folder in Hugging Face's layout (docs/design.md
 * §5) is read where it lies: give a path every executor can read.
 */
final class ModelLocation {

    private ModelLocation() {}

    /** @throws ModelNotFoundException naming the path and the places looked in */
    static Path resolve(String modelPath) {
        Path path;
        try {
            path = Path.of(modelPath);
        } catch (InvalidPathException e) {
            throw new ModelNotFoundException("model file " + modelPath + " is not a valid path: " + e.getMessage());
        }
        if (Files.isRegularFile(path) || Files.isDirectory(path)) { // a model file, or a model folder
            return path;
        }
        Path name = path.getFileName();
        String shipped = null;
        if (name != null && SparkEnv.get() != null) {
            shipped = SparkFiles.get(name.toString());
            Path copy = Path.of(shipped);
            if (Files.isRegularFile(copy)) {
                return copy;
            }
        }
        throw new ModelNotFoundException("model file not found: " + modelPath + " (not at "
                + path.toAbsolutePath() + (shipped == null ? "" : " nor among the files shipped to this executor, "
                + shipped) + "; give a path every executor can read, or ship the file with spark-submit --files)");
    }
}

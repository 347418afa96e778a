package dev.lazyattention.corenlp;

import ai.djl.Device;
import dev.lazyattention.lm.LazyLanguageModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Models shared by every annotator of the JVM, one per (file, device): CoreNLP builds a pipeline per
 * server request (its annotator cache keys on properties), and a model should be loaded once, not per
 * request. Models stay loaded for the life of the JVM, as CoreNLP's own annotators do.
 */
final class ModelCache {

    private static final Map<String, LazyLanguageModel> MODELS = new ConcurrentHashMap<>();

    private ModelCache() {}

    /** The model of {@code file} on {@code device} (auto, cpu and gpu:0 may resolve to one device). */
    static LazyLanguageModel get(String file, Device device) {
        Path path = Path.of(file).toAbsolutePath().normalize();
        Device resolved = device;
        String key = path + "@" + resolved;
        return MODELS.computeIfAbsent(key, k -> {
            try {
                return LazyLanguageModel.load(path, resolved);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Whether a model from {@code file} is loaded on any device (for tests of what a server opened). */
    static boolean holds(Path file) {
        String prefix = file.toAbsolutePath().normalize() + "@";
        return MODELS.keySet().stream().anyMatch(k -> k.startsWith(prefix));
    }
}

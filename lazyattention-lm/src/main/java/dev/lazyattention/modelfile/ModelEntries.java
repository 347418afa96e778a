package dev.lazyattention.modelfile;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The entries of a model file by name, in file order, excluding {@code checksums.sha256} (which is derived
 * from them when written and verified when read). Immutable.
 */
public final class ModelEntries {

    private final Map<String, byte[]> entries;

    private ModelEntries(Map<String, byte[]> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    /**
     * Checks that every required entry is present and no unknown one is.
     *
     * @throws IllegalArgumentException naming the missing or unknown entry
     */
    public static ModelEntries of(Map<String, byte[]> entries) {
        Map<String, byte[]> ordered = new LinkedHashMap<>();
        for (String name : ModelFileFormat.REQUIRED) {
            byte[] bytes = entries.get(name);
            if (bytes == null) {
                throw new IllegalArgumentException("missing entry " + name);
            }
            ordered.put(name, bytes);
        }
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            if (!ordered.containsKey(e.getKey())) {
                if (!ModelFileFormat.OPTIONAL.contains(e.getKey())) {
                    throw new IllegalArgumentException("unexpected entry " + e.getKey());
                }
                ordered.put(e.getKey(), e.getValue());
            }
        }
        return new ModelEntries(ordered);
    }

    public Set<String> names() {
        return entries.keySet();
    }

    /** The bytes of an entry (not a copy: do not modify), or null. */
    public byte[] get(String name) {
        return entries.get(name);
    }

    public String text(String name) {
        byte[] b = entries.get(name);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** The same entries without the checkpoint-only ones: what a finished model file holds. */
    public ModelEntries withoutTrainingState() {
        Map<String, byte[]> copy = new LinkedHashMap<>(entries);
        ModelFileFormat.OPTIONAL.forEach(copy::remove);
        return new ModelEntries(copy);
    }

    /** {@code checksums.sha256} content: one {@code <hex>  <name>} line per entry, sha256sum style. */
    public String checksums() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            sb.append(sha256(e.getValue())).append("  ").append(e.getKey()).append('\n');
        }
        return sb.toString();
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}

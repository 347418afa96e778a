package dev.lazyattention.modelfile;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import dev.lazyattention.model.LmConfig;

/**
 * Reads and writes the zip container of a model file. Writing is atomic (a temporary file in the same
 * folder, flushed to disk, then renamed over the target), so a crash or a full disk never leaves a
 * half-written model where a good one was. Reading accepts only the known entry names, bounds every
 * entry's size while it is read (whatever the zip claims), and verifies each entry's SHA-256.
 */
public final class ModelFile {

    private ModelFile() {}

    /** Writes the entries to {@code target} atomically; the previous file stays intact on any failure. */
    public static void write(Path target, ModelEntries entries) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new IOException("cannot create folder " + folder + " for " + target + ": " + e.getMessage(), e);
        }
        Path temp;
        try {
            temp = Files.createTempFile(folder, "." + absolute.getFileName() + ".", ".tmp");
        } catch (AccessDeniedException e) {
            throw new IOException("cannot write " + target + ": folder " + folder + " is not writable", e);
        }
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
                    OutputStream out = new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel))) {
                write(out, entries);
                out.flush();
                channel.force(true);
            }
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } catch (IOException e) {
            throw new IOException("cannot write " + target + ": " + e.getMessage()
                    + (Files.exists(absolute) ? " (the previous file is unchanged)" : ""), e);
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** Writes the entries and their checksums as a zip to {@code out} (not closed). */
    public static void write(OutputStream out, ModelEntries entries) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        for (String name : entries.names()) {
            zip.putNextEntry(new ZipEntry(name));
            zip.write(entries.get(name));
            zip.closeEntry();
        }
        zip.putNextEntry(new ZipEntry(ModelFileFormat.CHECKSUMS));
        zip.write(entries.checksums().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
        zip.finish();
    }

    /** Reads and verifies a model file. */
    public static ModelEntries read(Path file) throws IOException {
        String name = file.toString();
        if (!Files.isRegularFile(file)) {
            throw new ModelFileException(name, null, Files.exists(file) ? "not a regular file" : "file not found");
        }
        Map<String, byte[]> raw = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Set<String> seen = new HashSet<>();
            Enumeration<? extends ZipEntry> all = zip.entries();
            while (all.hasMoreElements()) {
                ZipEntry entry = all.nextElement();
                String entryName = entry.getName();
                if (!seen.add(entryName)) {
                    throw new ModelFileException(name, entryName, "entry appears twice");
                }
                if (!isKnown(entryName)) {
                    throw new ModelFileException(name, entryName,
                            "unexpected entry (a model file holds only " + ModelFileFormat.REQUIRED + ", "
                                    + ModelFileFormat.OPTIONAL + " and " + ModelFileFormat.CHECKSUMS + ")");
                }
            }
            // Text entries first: the config bounds the size the parameters may have.
            long parameterLimit = ModelFileFormat.MAX_FILE;
            for (String entryName : seen) {
                if (!entryName.equals(ModelFileFormat.PARAMETERS) && !entryName.equals(ModelFileFormat.OPTIMIZER_STATE)) {
                    raw.put(entryName, readBounded(zip, entryName, ModelFileFormat.MAX_TEXT_ENTRY, name));
                }
            }
            byte[] config = raw.get(ModelFileFormat.CONFIG);
            if (config != null) {
                checkOne(raw, ModelFileFormat.CONFIG, name); // a corrupt config is named as such, not parsed
                parameterLimit = Math.min(ModelFileFormat.MAX_FILE,
                        parameterBytesLimit(new String(config, StandardCharsets.UTF_8), name));
            }
            for (String entryName : seen) {
                if (entryName.equals(ModelFileFormat.PARAMETERS) || entryName.equals(ModelFileFormat.OPTIMIZER_STATE)) {
                    long limit = entryName.equals(ModelFileFormat.OPTIMIZER_STATE)
                            ? Math.min(ModelFileFormat.MAX_FILE, 2 * parameterLimit) : parameterLimit;
                    raw.put(entryName, readBounded(zip, entryName, limit, name));
                }
            }
        } catch (ZipException | NoSuchFileException e) {
            throw new ModelFileException(name, null, "not a readable zip file (truncated or foreign): " + e.getMessage(), e);
        }
        return verify(raw, name);
    }

    /**
     * Reads and verifies a model file that was unpacked into a folder (by the serving layer's LazyLmCriteria, or
     * by DJL's {@code Criteria} given the zip itself). The folder must hold the model's entries and nothing else,
     * as the zip must.
     */
    public static ModelEntries readDirectory(Path folder) throws IOException {
        String name = folder.toString();
        Set<String> known = allNames();
        try (java.util.stream.Stream<Path> files = Files.list(folder)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String entry = file.getFileName().toString();
                if (!known.contains(entry) || !Files.isRegularFile(file)) {
                    throw new ModelFileException(name, entry, "unexpected entry (a model file holds only "
                            + ModelFileFormat.REQUIRED + ", " + ModelFileFormat.OPTIONAL + " and "
                            + ModelFileFormat.CHECKSUMS + ")");
                }
            }
        }
        Map<String, byte[]> raw = new LinkedHashMap<>();
        for (String entry : known) {
            Path file = folder.resolve(entry);
            if (Files.isRegularFile(file)) {
                long limit = entry.equals(ModelFileFormat.PARAMETERS) || entry.equals(ModelFileFormat.OPTIMIZER_STATE)
                        ? ModelFileFormat.MAX_FILE : ModelFileFormat.MAX_TEXT_ENTRY;
                if (Files.size(file) > limit) {
                    throw new ModelFileException(name, entry, "larger than the " + limit + " bytes it may have");
                }
                raw.put(entry, Files.readAllBytes(file));
            }
        }
        return verify(raw, name);
    }

    /** Writes verified entries and their checksums as files of {@code folder} (which must exist). */
    public static void writeDirectory(Path folder, ModelEntries entries) throws IOException {
        for (String entry : entries.names()) {
            Files.write(folder.resolve(entry), entries.get(entry));
        }
        Files.writeString(folder.resolve(ModelFileFormat.CHECKSUMS), entries.checksums());
    }

    private static Set<String> allNames() {
        Set<String> names = new java.util.LinkedHashSet<>(ModelFileFormat.REQUIRED);
        names.addAll(ModelFileFormat.OPTIONAL);
        names.add(ModelFileFormat.CHECKSUMS);
        return names;
    }

    /**
     * Checks that the parameter bytes hold exactly the parameters {@code config} describes, so that reading
     * them allocates no more than the file holds.
     */
    public static void checkParameters(byte[] parameters, LmConfig config, String source) throws ModelFileException {
        ParameterFileCheck.check(parameters, config, source);
    }

    /** Reads a model file from a stream (copied to a temporary file, at most 16 GiB). */
    public static ModelEntries read(InputStream in, String source) throws IOException {
        Path temp = Files.createTempFile("lazylm-", ".zip");
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                byte[] buffer = new byte[1 << 16];
                long total = 0;
                int n;
                while ((n = in.read(buffer)) > 0) {
                    total += n;
                    if (total > ModelFileFormat.MAX_FILE) {
                        throw new ModelFileException(source, null, "larger than " + ModelFileFormat.MAX_FILE + " bytes");
                    }
                    out.write(buffer, 0, n);
                }
            }
            try {
                return read(temp);
            } catch (ModelFileException e) {
                throw new ModelFileException(source, e.entry(), e.getMessage().substring(e.getMessage().indexOf(": ") + 2), e);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static boolean isKnown(String entryName) {
        return ModelFileFormat.REQUIRED.contains(entryName) || ModelFileFormat.OPTIONAL.contains(entryName)
                || entryName.equals(ModelFileFormat.CHECKSUMS);
    }

    /** Reads an entry, refusing it as soon as it grows past {@code limit}, whatever size the zip declares. */
    private static byte[] readBounded(ZipFile zip, String entryName, long limit, String file) throws IOException {
        ZipEntry entry = zip.getEntry(entryName);
        if (entry.getSize() > limit) {
            throw new ModelFileException(file, entryName, "declares " + entry.getSize() + " bytes, more than the "
                    + limit + " this entry may have");
        }
        try (InputStream in = zip.getInputStream(entry)) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(
                    (int) Math.min(Math.max(entry.getSize(), 0), 1 << 20));
            byte[] buffer = new byte[1 << 16];
            long total = 0;
            long expansionLimit = Math.max(ModelFileFormat.MIN_EXPANSION_LIMIT,
                    ModelFileFormat.MAX_EXPANSION * Math.max(entry.getCompressedSize(), 0));
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
                if (total > limit) {
                    throw new ModelFileException(file, entryName, "holds more than the " + limit
                            + " bytes this entry may have (a compression bomb or a corrupt file)");
                }
                if (total > expansionLimit) {
                    throw new ModelFileException(file, entryName, "expands more than " + ModelFileFormat.MAX_EXPANSION
                            + " times its compressed size (a compression bomb)");
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (ZipException | java.io.EOFException e) {
            throw new ModelFileException(file, entryName, "cannot be decompressed (truncated or corrupt): " + e.getMessage(), e);
        }
    }

    /** At most the float32 bytes of the parameters the config describes, plus room for names and shapes. */
    private static long parameterBytesLimit(String configJson, String file) throws ModelFileException {
        try {
            long count = dev.lazyattention.model.LmConfig.fromJson(configJson, ModelFileFormat.CONFIG).parameterCount();
            return count * 4 + (1L << 20);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file, ModelFileFormat.CONFIG, e.getMessage(), e);
        }
    }

    /** Refuses {@code entry} when the checksums list a different SHA-256 for it; the rest is left to verify. */
    private static void checkOne(Map<String, byte[]> raw, String entry, String file) throws ModelFileException {
        byte[] checksumBytes = raw.get(ModelFileFormat.CHECKSUMS);
        String want = checksumBytes == null ? null : checksums(checksumBytes, file).get(entry);
        if (want != null) {
            matches(want, entry, raw.get(entry), file);
        }
    }

    /** Refuses {@code bytes} of {@code entry} whose SHA-256 is not {@code sha256}. */
    private static void matches(String sha256, String entry, byte[] bytes, String file) throws ModelFileException {
        if (!sha256.equals(ModelEntries.sha256(bytes))) {
            throw new ModelFileException(file, entry, "SHA-256 mismatch: the entry is corrupt");
        }
    }

    private static ModelEntries verify(Map<String, byte[]> raw, String file) throws ModelFileException {
        byte[] checksumBytes = raw.remove(ModelFileFormat.CHECKSUMS);
        if (checksumBytes == null) {
            throw new ModelFileException(file, ModelFileFormat.CHECKSUMS, "missing: cannot verify the file");
        }
        Map<String, String> expected = checksums(checksumBytes, file);
        for (Map.Entry<String, byte[]> e : raw.entrySet()) {
            String want = expected.get(e.getKey());
            if (want == null) {
                throw new ModelFileException(file, e.getKey(), "has no checksum in " + ModelFileFormat.CHECKSUMS);
            }
            matches(want, e.getKey(), e.getValue(), file);
        }
        for (String name : expected.keySet()) {
            if (!raw.containsKey(name)) {
                throw new ModelFileException(file, name, "listed in " + ModelFileFormat.CHECKSUMS + " but missing");
            }
        }
        try {
            return ModelEntries.of(raw);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file, null, e.getMessage(), e);
        }
    }

    /** The {@code <sha256>  <name>} lines of the checksums entry, by entry name. */
    private static Map<String, String> checksums(byte[] checksumBytes, String file) throws ModelFileException {
        Map<String, String> expected = new HashMap<>();
        String[] lines = new String(checksumBytes, StandardCharsets.UTF_8).split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            if (parts.length != 2 || !parts[0].matches("[0-9a-f]{64}")) {
                throw new ModelFileException(file, ModelFileFormat.CHECKSUMS, "line " + (i + 1) + " is not '<sha256>  <name>'");
            }
            expected.put(parts[1].startsWith("*") ? parts[1].substring(1) : parts[1], parts[0]);
        }
        return expected;
    }
}

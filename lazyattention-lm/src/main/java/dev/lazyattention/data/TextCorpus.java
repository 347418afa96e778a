package dev.lazyattention.data;

import dev.lazyattention.tokenizer.BpeTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Documents read from plain UTF-8 text files ({@code .gz} files are decompressed). A document is a
 * paragraph: text between blank lines; line breaks inside a paragraph stay part of the text. Models see
 * {@code <|endoftext|>} between documents.
 *
 * <p>Refuses, with the file name, files that are missing, empty, not UTF-8 or binary (NUL bytes).
 */
public final class TextCorpus {

    private static final Pattern PARAGRAPH_BREAK = Pattern.compile("\\r?\\n[ \\t]*\\r?\\n\\s*");

    private final List<String> documents;
    private final long bytes;
    private final String description;

    private TextCorpus(List<String> documents, String description) {
        this.documents = Collections.unmodifiableList(documents);
        long b = 0;
        for (String d : documents) {
            b += d.getBytes(StandardCharsets.UTF_8).length;
        }
        this.bytes = b;
        this.description = description;
    }

    /** Reads and splits files into documents. */
    public static TextCorpus read(List<Path> files) throws IOException {
        if (files == null || files.isEmpty()) {
            throw new IllegalArgumentException("no corpus files given");
        }
        List<String> documents = new ArrayList<>();
        for (Path file : files) {
            documents.addAll(split(readText(file)));
        }
        return new TextCorpus(documents, files.size() == 1 ? files.get(0).toString() : files.size() + " files");
    }

    /** Documents given as strings (each one a document, empty ones dropped). */
    public static TextCorpus of(List<String> documents, String description) {
        List<String> kept = new ArrayList<>();
        for (String d : documents) {
            if (d != null && !d.isBlank()) {
                kept.add(d);
            }
        }
        if (kept.isEmpty()) {
            throw new IllegalArgumentException(description + ": the corpus has no text");
        }
        return new TextCorpus(kept, description);
    }

    /** The whole text of one file, strictly decoded. */
    public static String readText(Path file) throws IOException {
        byte[] raw;
        try (InputStream in = open(file)) {
            raw = in.readAllBytes();
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": file not found", e);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IOException(file + ": not a readable gzip file (" + e.getMessage() + ")", e);
        }
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                throw new IOException(file + ": looks binary (NUL byte at offset " + i + "); expected UTF-8 text");
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(file + ": not valid UTF-8 text (" + e.getMessage() + ")", e);
        }
        if (text.isBlank()) {
            throw new IOException(file + ": the file has no text");
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    private static InputStream open(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException(file + ": is a folder, expected a text file");
        }
        InputStream in = Files.newInputStream(file);
        return file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
    }

    private static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        for (String paragraph : PARAGRAPH_BREAK.split(text)) {
            String p = paragraph.strip();
            if (!p.isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    public List<String> documents() {
        return documents;
    }

    /** UTF-8 bytes of all documents (separators not counted). */
    public long bytes() {
        return bytes;
    }

    public String description() {
        return description;
    }

    /**
     * The documents as one token stream, each preceded by {@code <|endoftext|>} (so the first token of a
     * document is predicted from a document boundary, as in training). Tokenised in parallel.
     */
    public int[] tokens(BpeTokenizer tokenizer) {
        List<int[]> encoded = documents.parallelStream()
                .map(document -> tokenizer.afterEndOfText(tokenizer.encode(document)))
                .toList();
        int total = 0;
        for (int[] e : encoded) {
            total = Math.addExact(total, e.length);
        }
        int[] tokens = new int[total];
        int at = 0;
        for (int[] e : encoded) {
            System.arraycopy(e, 0, tokens, at, e.length);
            at += e.length;
        }
        return tokens;
    }
}

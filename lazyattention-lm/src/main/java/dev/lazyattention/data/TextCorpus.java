package dev.lazyattention.data;

import dev.lazyattention.tokenizer.BpeTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Documents read from plain UTF-8 text files ({@code .gz} files are decompressed). A document is a
 * paragraph: text between blank lines; line breaks inside a paragraph stay part of the text. Models see
 * {@code <|endoftext|>} between documents.
 *
 * <p>Refuses, with the file name, files that are missing, empty, not UTF-8 (naming the byte offset) or binary
 * (NUL bytes).
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

    /**
     * Documents of texts already read (each split into paragraphs, as {@link #read} splits a file's text), for
     * text that does not come from a file, such as standard input.
     *
     * @throws IllegalArgumentException if no text holds a document
     */
    public static TextCorpus fromTexts(List<String> texts, String description) {
        List<String> documents = new ArrayList<>();
        for (String text : texts) {
            documents.addAll(split(text));
        }
        if (documents.isEmpty()) {
            throw new IllegalArgumentException(description + ": " + NO_TEXT);
        }
        return new TextCorpus(documents, description);
    }

    /** What an input without text is told, after its name. */
    static final String NO_TEXT = "no text (the input is empty or only whitespace)";

    /**
     * The whole text of one file, strictly decoded: a missing file, a folder, a NUL byte, bytes that are not
     * UTF-8 (named by their offset) and a file without text are refused with the file's name. A leading byte
     * order mark is dropped.
     */
    public static String readText(Path file) throws IOException {
        boolean gzip = file.getFileName() != null && file.getFileName().toString().endsWith(".gz");
        try (InputStream in = open(file)) {
            return decode(in, file.toString(), Long.MAX_VALUE, gzip ? " of the decompressed text" : "");
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": file not found", e);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IOException(file + ": not a readable gzip file (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The text of a stream (standard input, say), checked as {@link #readText(Path)} checks a file's; {@code
     * name} is what the messages call it. Reads at most {@code maxChars + 1} characters: a longer text comes
     * back cut to that length, unchecked for emptiness, so that the caller can refuse it without holding it
     * all. The stream is not closed.
     */
    public static String readText(InputStream in, String name, long maxChars) throws IOException {
        return decode(in, name, maxChars, "");
    }

    /**
     * Strict UTF-8 decoding that knows the byte offset of every problem: a NUL byte (binary data) or bytes
     * that form no UTF-8 character. {@code offsetNote} says what the offsets count (the decompressed text of a
     * gzip file).
     */
    private static String decode(InputStream in, String name, long maxChars, String offsetNote) throws IOException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = ByteBuffer.allocate(1 << 16);
        CharBuffer chars = CharBuffer.allocate(1 << 16);
        StringBuilder text = new StringBuilder();
        long base = 0; // offset in the input of bytes.array()[0]
        boolean end = false;
        while (true) {
            if (!end) {
                int start = bytes.position();
                int n = in.read(bytes.array(), start, bytes.remaining());
                if (n < 0) {
                    end = true;
                } else {
                    for (int i = start; i < start + n; i++) {
                        if (bytes.array()[i] == 0) {
                            throw new IOException(name + ": looks binary (NUL byte at offset " + (base + i) + offsetNote
                                    + "); expected UTF-8 text");
                        }
                    }
                    bytes.position(start + n);
                }
            }
            bytes.flip();
            CoderResult result = decoder.decode(bytes, chars, end);
            if (result.isUnderflow() && end) {
                result = decoder.flush(chars);
            }
            chars.flip();
            text.append(chars);
            chars.clear();
            if (result.isError()) {
                throw notUtf8(name, base + bytes.position(), bytes, result.length(), text, offsetNote);
            }
            if (text.length() > maxChars) {
                return text.substring(0, (int) (maxChars + 1));
            }
            if (end && result.isUnderflow() && !bytes.hasRemaining()) {
                break;
            }
            int consumed = bytes.position();
            bytes.compact();
            base += consumed;
        }
        if (text.toString().isBlank()) {
            throw new IOException(name + ": " + NO_TEXT);
        }
        return text.length() > 0 && text.charAt(0) == '\uFEFF' ? text.substring(1) : text.toString();
    }

    private static IOException notUtf8(String name, long offset, ByteBuffer bytes, int length, CharSequence before,
            String offsetNote) {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < length && bytes.position() + i < bytes.limit(); i++) {
            hex.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "0x%02X", bytes.get(bytes.position() + i)));
        }
        long line = 1;
        for (int i = 0; i < before.length(); i++) {
            if (before.charAt(i) == '\n') {
                line++;
            }
        }
        return new IOException(name + ": not valid UTF-8 text: " + (length == 1 ? "byte " : "bytes ") + hex
                + " at byte offset " + offset + offsetNote + " (line " + line + ") " + (length == 1 ? "is" : "are")
                + " not UTF-8; save the text as UTF-8");
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

package dev.lazyattention.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What reading text refuses, and that every refusal names the input and, for bad bytes, where they are. */
class TextCorpusReadingTest {

    @TempDir
    Path dir;

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private String refusal(String name, byte[] content) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, content);
        return assertThrows(IOException.class, () -> TextCorpus.readText(file)).getMessage();
    }

    @Test
    void bytesThatAreNotUtf8AreNamedByTheirOffsetAndLine() throws IOException {
        String first = refusal("latin1.txt", concat(utf8("abc"), new byte[] {(byte) 0xFF, (byte) 0xFE}, utf8("def")));
        assertEquals(dir.resolve("latin1.txt") + ": not valid UTF-8 text: byte 0xFF at byte offset 3 (line 1) is not"
                + " UTF-8; save the text as UTF-8", first);

        String third = refusal("lines.txt", concat(utf8("é\nok\ncaf"), new byte[] {(byte) 0xE9}, utf8(" au lait\n")));
        assertTrue(third.contains("lines.txt: not valid UTF-8 text") && third.contains("0xE9 at byte offset 9 (line 3)"),
                third);

        String cut = refusal("cut.txt", concat(utf8("price 3"), new byte[] {(byte) 0xE2, (byte) 0x82}));
        assertTrue(cut.contains("cut.txt") && cut.contains("at byte offset 7 (line 1)"), cut);
    }

    @Test
    void offsetsCountPastTheFirstBufferAndIntoGzipText() throws IOException {
        byte[] far = concat(utf8("a".repeat(200_000)), new byte[] {(byte) 0xC3, (byte) 0x28});
        String message = refusal("far.txt", far);
        assertTrue(message.contains("at byte offset 200000 (line 1)"), message);

        Path gz = dir.resolve("far.txt.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(far);
        }
        String compressed = assertThrows(IOException.class, () -> TextCorpus.readText(gz)).getMessage();
        assertTrue(compressed.contains("far.txt.gz") && compressed.contains("offset 200000 of the decompressed text"),
                compressed);
    }

    @Test
    void charactersAcrossBufferBoundariesDecodeExactly() throws IOException {
        StringBuilder text = new StringBuilder();
        while (text.length() < 300_000) {
            text.append("x😀é日本 ").append(text.length() % 7 == 0 ? "\n" : "");
        }
        Path file = dir.resolve("mixed.txt");
        Files.writeString(file, "\uFEFF" + text);
        assertEquals(text.toString(), TextCorpus.readText(file), "the byte order mark is dropped, the rest kept");
        assertEquals(text.toString(), TextCorpus.readText(new ByteArrayInputStream(utf8(text.toString())), "input",
                Long.MAX_VALUE));
    }

    @Test
    void anEmptyInputIsRefusedTheSameWayFromAFileAndFromAStream() throws IOException {
        String file = refusal("empty.txt", utf8(" \n\t\n"));
        assertEquals(dir.resolve("empty.txt") + ": no text (the input is empty or only whitespace)", file);
        String stream = assertThrows(IOException.class, () -> TextCorpus.readText(
                new ByteArrayInputStream(new byte[0]), "standard input", 100)).getMessage();
        assertEquals("standard input: no text (the input is empty or only whitespace)", stream);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> TextCorpus.fromTexts(List.of("  ", "\n\n"), "standard input"));
        assertEquals("standard input: no text (the input is empty or only whitespace)", none.getMessage());
    }

    @Test
    void aStreamIsReadStrictlyAndOnlyUpToItsLimit() throws IOException {
        String bad = assertThrows(IOException.class, () -> TextCorpus.readText(
                new ByteArrayInputStream(concat(utf8("ab\ncd"), new byte[] {(byte) 0x80})), "standard input", 100))
                .getMessage();
        assertEquals("standard input: not valid UTF-8 text: byte 0x80 at byte offset 5 (line 2) is not UTF-8; save the"
                + " text as UTF-8", bad);
        String binary = assertThrows(IOException.class, () -> TextCorpus.readText(
                new ByteArrayInputStream(new byte[] {'a', 'b', 0}), "standard input", 100)).getMessage();
        assertTrue(binary.contains("standard input: looks binary (NUL byte at offset 2)"), binary);

        String cut = TextCorpus.readText(new ByteArrayInputStream(utf8("x".repeat(500_000))), "standard input", 10);
        assertEquals(11, cut.length(), "one character past the limit shows that the text is longer");

        TextCorpus corpus = TextCorpus.fromTexts(List.of("One.\n\nTwo."), "standard input");
        assertEquals(List.of("One.", "Two."), corpus.documents());
        assertEquals("standard input", corpus.description());
    }
}

package dev.lazyattention.integration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The READMEs' code is code that CI compiles and runs: that of README.md and of every module's README.md (a
 * README.md in a folder of the repository root). Every {@code ```java} block starts with a line naming
 * the file it is taken from, {@code // from examples/djl-block/src/main/java/...} (a path from the
 * repository root), and every other block may (an XML block with {@code <!-- from examples/.../pom.xml -->}).
 * The rest of the block must be in that file: its lines, compared without leading and trailing spaces and
 * without blank lines, form consecutive lines of the file, and a line {@code // ...} (or {@code <!-- ... -->})
 * stands for lines left out, so that the parts between such lines come in the file's order. The examples
 * compile and run in CI (scripts/examples.sh), so a snippet that stops compiling fails the build.
 */
class ReadmeSnippetsTest {

    private static final Pattern FENCE = Pattern.compile("^\\s*```([A-Za-z0-9]*)\\s*$");
    private static final Pattern JAVA_SOURCE = Pattern.compile("^//\\s*from\\s+(\\S+)\\s*$");
    private static final Pattern XML_SOURCE = Pattern.compile("^<!--\\s*from\\s+(\\S+)\\s*-->$");

    /** A fenced block of a README: its language, the README line of its first code line, its lines. */
    record Block(String language, int firstLine, List<String> lines) {

        /** The file the block names in its first line, or null. */
        String source() {
            if (lines.isEmpty()) {
                return null;
            }
            String first = lines.get(0).strip();
            Matcher m = JAVA_SOURCE.matcher(first);
            if (m.matches()) {
                return m.group(1);
            }
            m = XML_SOURCE.matcher(first);
            return m.matches() ? m.group(1) : null;
        }
    }

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("lazyattention-lm"))) {
                return p;
            }
        }
        throw new IllegalStateException("the project's README.md not found above " + Path.of("").toAbsolutePath());
    }

    /** README.md and every module's README.md, as paths from the root; README.md first. */
    static List<Path> readmes(Path root) throws IOException {
        List<Path> readmes = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> folders = Files.list(root)) {
            folders.filter(Files::isDirectory)
                    .map(folder -> folder.resolve("README.md"))
                    .filter(Files::isRegularFile)
                    .map(root::relativize)
                    .sorted()
                    .forEach(readmes::add);
        }
        return readmes;
    }

    static List<Block> blocks(List<String> readme) {
        List<Block> blocks = new ArrayList<>();
        String language = null;
        int first = 0;
        List<String> lines = null;
        for (int i = 0; i < readme.size(); i++) {
            Matcher fence = FENCE.matcher(readme.get(i));
            if (lines == null && fence.matches()) {
                language = fence.group(1);
                first = i + 2;
                lines = new ArrayList<>();
            } else if (lines != null && readme.get(i).strip().equals("```")) {
                blocks.add(new Block(language, first, lines));
                lines = null;
            } else if (lines != null) {
                lines.add(readme.get(i));
            }
        }
        assertTrue(lines == null, "the block opened at line " + (first - 1) + " is never closed");
        return blocks;
    }

    static boolean isElision(String line) {
        return line.equals("// ...") || line.equals("<!-- ... -->");
    }

    /** The lines without leading and trailing spaces, blank ones left out. */
    static List<String> normalized(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            if (!line.isBlank()) {
                out.add(line.strip());
            }
        }
        return out;
    }

    /**
     * Where {@code part} starts as consecutive lines of {@code file} at or after {@code from}, or -1.
     */
    static int find(List<String> file, List<String> part, int from) {
        for (int start = from; start + part.size() <= file.size(); start++) {
            if (file.subList(start, start + part.size()).equals(part)) {
                return start;
            }
        }
        return -1;
    }

    /** Null when the block is an excerpt of its source file; else what is wrong. */
    static String mismatch(Block block, Path root) throws IOException {
        Path source = root.resolve(block.source());
        if (!Files.isRegularFile(source)) {
            return "names " + block.source() + ", which does not exist";
        }
        List<String> file = normalized(Files.readAllLines(source, StandardCharsets.UTF_8));
        List<String> body = normalized(block.lines().subList(1, block.lines().size()));
        if (body.isEmpty()) {
            return "holds nothing but its source line";
        }
        int at = 0;
        List<String> part = new ArrayList<>();
        for (int i = 0; i <= body.size(); i++) {
            if (i < body.size() && !isElision(body.get(i))) {
                part.add(body.get(i));
                continue;
            }
            if (!part.isEmpty()) {
                int found = find(file, part, at);
                if (found < 0) {
                    return "is not an excerpt of " + block.source() + ": these lines are not consecutive lines of it"
                            + (at > 0 ? " after the lines before them" : "") + ":\n  " + String.join("\n  ", part)
                            + "\n" + firstMissing(file, part, at);
                }
                at = found + part.size();
                part.clear();
            }
        }
        return null;
    }

    /** The first line of {@code part} that the file does not hold where it should, for the message. */
    private static String firstMissing(List<String> file, List<String> part, int from) {
        for (int n = part.size() - 1; n >= 1; n--) {
            if (find(file, part.subList(0, n), from) >= 0) {
                return "(the first " + n + " line(s) are there; then the file does not go on with: " + part.get(n) + ")";
            }
        }
        return "(not even its first line is there: " + part.get(0) + ")";
    }

    @Test
    void theModuleReadmesAreRead() throws IOException {
        List<Path> readmes = readmes(root());
        for (String module : List.of("djl-lazyattention-block", "lazyattention-lm", "corenlp-annotator",
                "opennlp-adapter", "spark-scoring", "cli")) {
            assertTrue(readmes.contains(Path.of(module, "README.md")), module + "/README.md among " + readmes);
        }
    }

    @Test
    void everyJavaBlockNamesTheFileItComesFrom() throws IOException {
        Path root = root();
        List<String> problems = new ArrayList<>();
        int java = 0;
        for (Path readme : readmes(root)) {
            for (Block block : blocks(Files.readAllLines(root.resolve(readme), StandardCharsets.UTF_8))) {
                if (block.language().equals("java")) {
                    java++;
                    if (block.source() == null) {
                        problems.add(readme + " line " + block.firstLine() + ": a java block must start with"
                                + " \"// from <file>\", the example or test it is taken from");
                    }
                }
            }
        }
        assertTrue(java > 0, "no README has a java block; this test would check nothing");
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void everyBlockThatNamesAFileIsAnExcerptOfIt() throws IOException {
        Path root = root();
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Path readme : readmes(root)) {
            for (Block block : blocks(Files.readAllLines(root.resolve(readme), StandardCharsets.UTF_8))) {
                if (block.source() == null) {
                    continue;
                }
                checked++;
                String wrong = mismatch(block, root);
                if (wrong != null) {
                    problems.add(readme + " line " + block.firstLine() + " (" + block.language() + " block) " + wrong);
                }
            }
        }
        assertTrue(checked > 0, "no README names a source file in any block");
        assertTrue(problems.isEmpty(), String.join("\n\n", problems));
    }

    @Test
    void theCheckFindsAChangedLineAMissingFileAndLinesOutOfOrder(@org.junit.jupiter.api.io.TempDir Path dir)
            throws IOException {
        Files.writeString(dir.resolve("A.java"), "class A {\n    int a = 1;\n\n    int b = 2;\n    int c = 3;\n}\n");
        assertTrue(mismatch(block("// from A.java", "int a = 1;", "int b = 2;"), dir) == null);
        assertTrue(mismatch(block("// from A.java", "int a = 1;", "// ...", "int c = 3;"), dir) == null);
        assertFalse(mismatch(block("// from A.java", "int a = 1;", "int c = 3;"), dir) == null, "a gap without // ...");
        assertFalse(mismatch(block("// from A.java", "int a = 2;"), dir) == null, "a changed line");
        assertFalse(mismatch(block("// from A.java", "int c = 3;", "// ...", "int a = 1;"), dir) == null,
                "parts out of order");
        assertFalse(mismatch(block("// from B.java", "int a = 1;"), dir) == null, "a missing file");
        List<Block> parsed = blocks(List.of("text", "```java", "// from A.java", "int a = 1;", "```", "```xml",
                "<x/>", "```"));
        if (parsed.size() != 2 || !"A.java".equals(parsed.get(0).source()) || parsed.get(1).source() != null) {
            fail("parsed " + parsed);
        }
    }

    private static Block block(String... lines) {
        return new Block("java", 1, List.of(lines));
    }
}

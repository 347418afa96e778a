package dev.lazyattention.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every import in a main source file is used by the code, not only by a comment. An import that serves only a
 * Javadoc {@code {@link}} is a source-level dependency that the compiled classes do not have, so
 * {@link ArchitectureTest}, which reads bytecode, cannot see the package cycle it may close; a comment names
 * such a class in plain text or by its fully qualified name instead.
 *
 * <p>The check reads each file's single-type and static imports, removes comments, string, text-block and
 * character literals from the rest, and looks for the imported simple name as an identifier in what is left.
 * Written by hand because it needs only a comment-and-literal stripper, not a Java parser on the class path.
 */
class ImportsServeCodeTest {

    private static final Pattern IMPORT = Pattern.compile(
            "^\\s*import\\s+(static\\s+)?([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_$][\\w$]*");

    /** The source with its comments and literals replaced by spaces (same length, line breaks kept). */
    static String codeOnly(String source) {
        StringBuilder code = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (source.startsWith("//", i)) {
                int end = source.indexOf('\n', i);
                end = end < 0 ? n : end;
                blank(source, i, end, code);
                i = end;
            } else if (source.startsWith("/*", i)) {
                int end = source.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                blank(source, i, end, code);
                i = end;
            } else if (source.startsWith("\"\"\"", i)) {
                int end = literalEnd(source, i + 3, "\"\"\"");
                blank(source, i, end, code);
                i = end;
            } else if (c == '"' || c == '\'') {
                int end = literalEnd(source, i + 1, String.valueOf(c));
                blank(source, i, end, code);
                i = end;
            } else {
                code.append(c);
                i++;
            }
        }
        return code.toString();
    }

    /** The index just past the closing {@code quote} of a literal whose body starts at {@code from}. */
    private static int literalEnd(String source, int from, String quote) {
        int i = from;
        while (i < source.length()) {
            if (source.charAt(i) == '\\') {
                i += 2;
            } else if (source.startsWith(quote, i)) {
                return i + quote.length();
            } else {
                i++;
            }
        }
        return source.length();
    }

    private static void blank(String source, int from, int to, StringBuilder code) {
        for (int i = from; i < to; i++) {
            code.append(source.charAt(i) == '\n' ? '\n' : ' ');
        }
    }

    /** One finding per import whose simple name the code does not use, naming the file and the import. */
    static List<String> importsTheCodeDoesNotUse(String file, String source) {
        String code = codeOnly(source);
        List<String> findings = new ArrayList<>();
        Matcher m = IMPORT.matcher(code);
        int bodyStart = 0;
        List<String[]> imports = new ArrayList<>();
        while (m.find()) {
            imports.add(new String[] {m.group(2), m.group(1) == null ? "import" : "import static"});
            bodyStart = m.end();
        }
        Set<String> identifiers = new HashSet<>();
        Matcher id = IDENTIFIER.matcher(code.substring(bodyStart));
        while (id.find()) {
            identifiers.add(id.group());
        }
        for (String[] imported : imports) {
            String name = imported[0];
            String simple = name.substring(name.lastIndexOf('.') + 1);
            if (!identifiers.contains(simple)) {
                String where = Pattern.compile("\\b" + Pattern.quote(simple) + "\\b").matcher(source.substring(bodyStart)).find()
                        ? "only a comment or string names it" : "nothing names it";
                findings.add(file + ": " + imported[1] + " " + name + "; (" + where + ")");
            }
        }
        return findings;
    }

    /**
     * Every {@code .java} file under a {@code src/main/java} or {@code src/test/java} folder at any depth below
     * {@code root} (every module, the examples and any module added later), build output and hidden folders
     * left out.
     */
    static List<Path> sources(Path root) throws IOException {
        List<Path> sources = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> {
                        String path = root.relativize(p).toString().replace('\\', '/');
                        return (path.contains("src/main/java/") || path.contains("src/test/java/"))
                                && !path.contains("/target/") && !path.startsWith("target/")
                                && !path.startsWith(".") && !path.contains("/.");
                    })
                    .forEach(sources::add);
        }
        return sources;
    }

    @Test
    void everyImportInEveryModulesSourcesIsUsedByCode() throws IOException {
        Path root = ReadmeSnippetsTest.root();
        List<Path> sources = sources(root);
        Set<String> modules = new TreeSet<>();
        for (Path p : sources) {
            String path = root.relativize(p).toString().replace('\\', '/');
            modules.add(path.substring(0, path.indexOf("/src/")));
        }
        // Every module of the build is read (a module folder moved elsewhere would otherwise drop out unseen).
        Set<String> built = new TreeSet<>();
        Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(
                Files.readString(root.resolve("pom.xml"), StandardCharsets.UTF_8));
        while (module.find()) {
            built.add(module.group(1).strip());
        }
        assertTrue(modules.containsAll(built), "modules read " + modules + ", modules built " + built);
        List<String> findings = new ArrayList<>();
        for (Path p : sources) {
            findings.addAll(importsTheCodeDoesNotUse(root.relativize(p).toString(),
                    Files.readString(p, StandardCharsets.UTF_8)));
        }
        assertEquals(List.of(), findings, "imports the code does not use (name the class in a comment in plain"
                + " text or by its fully qualified name)");
    }

    @Test
    void anImportUsedOnlyByAJavadocLinkIsFoundAndOneUsedByCodeIsNot() {
        String source = """
                package a;

                import b.Linked;
                import b.Used;
                import static b.Util.helper;

                /** See {@link Linked}; "Used" in a string does not count, nor helper in // a comment. */
                class A {
                    String s = "Linked";
                    char q = '"';
                    Used used = helper();
                }
                """;
        assertEquals(List.of("A.java: import b.Linked; (only a comment or string names it)"),
                importsTheCodeDoesNotUse("A.java", source));
        assertEquals(List.of("A.java: import b.Linked; (only a comment or string names it)",
                        "A.java: import b.Used; (only a comment or string names it)"),
                importsTheCodeDoesNotUse("A.java", source.replace("Used used = helper();", "Object o = helper();")));
    }
}

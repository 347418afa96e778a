package dev.lazyattention.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.eval.SequenceScore;
import org.apache.spark.launcher.JavaModuleOptions;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * spark-scoring/README.md's local {@code spark-submit} command ("Run with spark-submit"), run by bash as written, with
 * {@code spark-submit} standing for Spark's script: Spark's own {@code org.apache.spark.deploy.SparkSubmit} in a
 * child JVM with the flags Spark's launcher adds ({@code -Xmx1g} and {@link JavaModuleOptions}) and Spark's jars
 * only on its class path. Everything else the job needs must come from the jar lists the README feeds to {@code
 * --jars}. The working directory holds the build's outputs at the README's paths ({@code spark-scoring/target/}),
 * a model the test trained ({@code demo/model.lazylm.zip}) and a corpus it wrote ({@code corpus/}).
 *
 * <p>"Spark's jars" are this test's class path (Spark 4.1.1 and its dependencies, provided scope) less this
 * project's classes, the jar lists, DJL, the engine, JUnit, Stanford CoreNLP and what only CoreNLP brings: the
 * jars a resolution of {@code spark-sql_2.13} alone gives, but Gson (Spark has its own 2.11; here the job's
 * list must carry it) and other versions of slf4j-api and error_prone_annotations.
 *
 * <p>Needs the packaged jar and the lists, so it runs after {@code package}, in the {@code readme-spark-submit}
 * execution of this module's pom, under {@code -Pfull}: {@code mvn -B -Pfull verify -pl spark-scoring -am}.
 */
@Tag("slow") // two child JVMs that start Spark, about 40 s
@Tag("spark-submit") // not in the test phase: the job's jar and lists exist only after package
class ReadmeSparkSubmitTest {

    private static final String JOB_JAR = "spark-scoring/target/spark-scoring-0.1.0-SNAPSHOT.jar";
    private static final String JAR_LIST = "spark-scoring/target/spark-scoring.classpath";
    private static final String ENGINE_GROUP = "/ai/djl/pytorch/";

    /** The documents of the corpus, by file, with the number of sentences each has. */
    private static final Map<String, Map<String, Integer>> CORPUS = Map.of(
            "a.txt", Map.of("The dog sees the cat. The cat runs.", 2, "A fox sees the dog.", 1),
            "b.txt", Map.of("The cat sleeps. The dog waits. A bird sings.", 3));

    @TempDir
    Path work;

    @Test
    void theReadmesLocalCommandScoresACorpusWithSparksJarsAndTheJarLists() throws Exception {
        stage(jarList());
        Result run = submit();
        assertEquals(0, run.status(), run.output());
        assertTrue(run.output().contains("ScoreCorpus: wrote scores/"), run.output());

        List<Row> rows = LocalSpark.session().read().parquet(work.resolve("scores").toString())
                .orderBy("value").collectAsList();
        Map<String, Integer> expected = new TreeMap<>();
        CORPUS.values().forEach(expected::putAll);
        assertEquals(new ArrayList<>(expected.keySet()),
                rows.stream().map(r -> r.<String>getAs("value")).toList(), "one row per line of the corpus");
        for (Row row : rows) {
            String text = row.getAs("value");
            SequenceScore alone = TestModel.score(text, false);
            assertEquals(alone.logProbability(), row.<Double>getAs("logProb"), 1e-4, text);
            assertEquals(alone.logProbabilities().length, row.<Integer>getAs("pieces"), text);
            assertEquals(expected.get(text), row.getList(row.fieldIndex("sentences")).size(), text);
            String file = row.getAs("path");
            assertTrue(CORPUS.get(file.substring(file.lastIndexOf('/') + 1)).containsKey(text), file + ": " + text);
            assertTrue(row.isNullAt(row.fieldIndex("error")), text);
            System.out.printf("%-46s logProb %9.4f  perplexity %8.3f  bitsPerByte %.4f  sentences %d%n", text,
                    row.<Double>getAs("logProb"), row.<Double>getAs("perplexity"), row.<Double>getAs("bitsPerByte"),
                    row.getList(row.fieldIndex("sentences")).size());
        }
    }

    @Test
    void withoutTheEngineInTheJarListTheJobFailsWithOneLineNamingIt() throws Exception {
        List<String> all = jarList();
        List<String> engine = all.stream().filter(j -> j.replace(File.separatorChar, '/').contains(ENGINE_GROUP))
                .toList();
        assertEquals(3, engine.size(), "the list carries pytorch-engine, pytorch-jni and pytorch-native-cpu: " + all);
        stage(all.stream().filter(j -> !engine.contains(j)).toList());
        Result run = submit();
        assertEquals(1, run.status(), run.output());
        String line = run.output().lines().filter(l -> l.startsWith("ScoreCorpus: ")).findFirst().orElseThrow();
        assertTrue(line.startsWith("ScoreCorpus: No PyTorch engine on the class path"), line);
        assertFalse(line.contains("model.lazylm.zip"), "not blamed on the model file: " + line);
        for (String jar : engine) { // each removed jar, named by its coordinates: pytorch-jni:2.7.1-0.36.0, ...
            Path version = Path.of(jar).getParent();
            String coordinates = version.getParent().getFileName() + ":" + version.getFileName();
            assertTrue(line.contains("ai.djl.pytorch:" + coordinates), coordinates + " in " + line);
        }
        assertTrue(line.contains("\"The engine\""), line);
    }

    private record Result(int status, String output) {}

    /** Runs the README's command in {@link #work}. */
    private Result submit() throws IOException, InterruptedException {
        String spark = "spark-submit() { \"$LAZYATTN_JAVA\" -Xmx1g $LAZYATTN_SPARK_FLAGS -cp \"$LAZYATTN_SPARK_JARS\""
                + " org.apache.spark.deploy.SparkSubmit \"$@\"; }\n";
        ProcessBuilder pb = new ProcessBuilder("bash", "-euo", "pipefail", "-c", spark + readmeCommand())
                .directory(work.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("LAZYATTN_JAVA", ProcessHandle.current().info().command().orElse("java"));
        env.put("LAZYATTN_SPARK_FLAGS", String.join(" ", JavaModuleOptions.defaultModuleOptionArray()));
        env.put("LAZYATTN_SPARK_JARS", String.join(File.pathSeparator, sparkJars()));
        env.put("SPARK_LOCAL_IP", "127.0.0.1"); // this machine's name need not resolve
        // The job itself must keep DJL offline (the README says so); the build sets these for the test JVMs.
        env.remove("DJL_OFFLINE");
        env.remove("OPT_OUT_TRACKING");
        Process child = pb.start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(150, TimeUnit.SECONDS), output);
        return new Result(child.exitValue(), output);
    }

    /**
     * The working directory: the job's jar at the README's path, {@code jars} as the README's jar list, the
     * trained model as {@code demo/model.lazylm.zip} and the corpus in {@code corpus/}.
     */
    private void stage(List<String> jars) throws IOException {
        Path jobJar = root().resolve(JOB_JAR);
        assertTrue(Files.isRegularFile(jobJar), jobJar + " is built by package; run this test with mvn verify");
        Files.createDirectories(work.resolve(JOB_JAR).getParent());
        Files.createSymbolicLink(work.resolve(JOB_JAR), jobJar);
        Files.writeString(work.resolve(JAR_LIST), String.join(File.pathSeparator, jars));
        Files.createDirectories(work.resolve("demo"));
        Files.copy(TestModel.file(), work.resolve("demo/model.lazylm.zip"));
        Files.createDirectories(work.resolve("corpus"));
        for (Map.Entry<String, Map<String, Integer>> file : CORPUS.entrySet()) {
            Files.writeString(work.resolve("corpus").resolve(file.getKey()),
                    String.join("\n", file.getValue().keySet()) + "\n");
        }
    }

    /** The jars of the build's list, each checked to exist as a file (not a folder of classes). */
    private static List<String> jarList() throws IOException {
        Path list = root().resolve(JAR_LIST);
        assertTrue(Files.isRegularFile(list), list + " is written by package; run this test with mvn verify");
        List<String> jars = Arrays.asList(Files.readString(list).trim().split(File.pathSeparator));
        for (String jar : jars) {
            assertTrue(jar.endsWith(".jar") && Files.isRegularFile(Path.of(jar)), "not a jar: " + jar);
        }
        return jars;
    }

    /** This test's class path less everything that is not Spark or its dependencies (see the class comment). */
    private static List<String> sparkJars() throws IOException {
        Set<String> ours = new java.util.HashSet<>(jarList());
        Path corenlp = root().resolve("spark-scoring/target/corenlp.classpath");
        if (Files.isRegularFile(corenlp)) {
            ours.addAll(Arrays.asList(Files.readString(corenlp).trim().split(File.pathSeparator)));
        }
        List<String> notSpark = List.of("/dev/lazyattention/", "/ai/djl/", "/org/junit/", "/org/opentest4j/",
                "/org/apiguardian/", "/edu/stanford/",
                // what only Stanford CoreNLP brings (the optional corenlp-annotator's dependencies)
                "/com/apple/", "/com/sun/istack/", "/com/sun/xml/bind/", "/de/jollyday/", "/javax/activation/",
                "/javax/xml/bind/", "/joda-time/", "/org/ejml/", "/org/glassfish/jakarta.json/", "/xalan/",
                "/xerces/", "/xml-apis/", "/xom/");
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> e.endsWith(".jar") && !ours.contains(e))
                .filter(e -> notSpark.stream().noneMatch(e.replace(File.separatorChar, '/')::contains))
                .collect(Collectors.toList());
    }

    /**
     * The module README's local command: the first {@code spark-submit} block of "Run with spark-submit", its
     * continuation lines joined.
     */
    static String readmeCommand() throws IOException {
        List<String> lines = Files.readAllLines(root().resolve("spark-scoring").resolve("README.md"));
        int section = lines.indexOf("## Run with spark-submit");
        assertTrue(section >= 0, "spark-scoring/README.md has a section \"Run with spark-submit\"");
        int open = section;
        while (!lines.get(open).equals("```bash")) {
            open++;
        }
        StringBuilder command = new StringBuilder();
        for (int i = open + 1; !lines.get(i).equals("```"); i++) {
            command.append(lines.get(i)).append('\n');
        }
        assertTrue(command.toString().startsWith("spark-submit --master 'local["), command.toString());
        return command.toString();
    }

    /** The repository root (README.md and the modules), above this module's folder. */
    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("spark-scoring"))) {
                return p;
            }
        }
        throw new IllegalStateException("README.md not found above " + Path.of("").toAbsolutePath());
    }
}

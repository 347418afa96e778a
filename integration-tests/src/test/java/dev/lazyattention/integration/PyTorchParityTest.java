package dev.lazyattention.integration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.corenlp.LazyLmAnnotations;
import dev.lazyattention.corenlp.LazyLmAnnotator;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScore;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.opennlp.LazyAttentionLanguageModel;
import dev.lazyattention.opennlp.LazyAttentionModel;
import dev.lazyattention.testing.SyntheticCorpus;
import dev.lazyattention.train.TrainedModel;
import dev.lazyattention.train.TrainingRecipe;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.train.TrainConfig;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.util.CoreMap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The same model gives the same per-token log-probabilities in Java and in PyTorch ({@code
 * python/lazy_attention.py}, written from the paper's definitions), in both directions, for every attention
 * variant, with grouped key/value heads and the start token, on models trained a few steps so that tau and
 * the distance bias are not at their initial values:
 * <ul>
 *   <li>Java's training recipe -> {@code exportFolder} -> PyTorch scores the folder;</li>
 *   <li>PyTorch trains ({@code python/train_ddp.py}) and saves a folder -> Java loads it -> DJL's scorer, the
 *       CoreNLP annotator (per token) and the OpenNLP language model (per text).</li>
 * </ul>
 * Each test prints the largest difference it found. The default suite checks the {@code lazy} variant; the
 * other variants are tagged {@code slow} ({@code -Pfull}, which CI runs).
 */
class PyTorchParityTest {

    /** Largest difference allowed between Java's float32 and PyTorch's float64 log-probability of a token. */
    static final double TOLERANCE = 1e-4;

    /** Texts both sides score: ASCII (one model piece per character in a byte vocabulary), and one that is not. */
    static final List<String> TEXTS = List.of(
            "The small dog sees the old cat near the river.",
            "A quiet bird follows the red fox, and 3 foxs agree.",
            "The model attends to nothing at all.",
            "Zebras visit the park on Sunday at night.");
    static final String NOT_ASCII = "Naïve café owners say “ça va” — 東京.";

    @TempDir
    static Path dir;

    static TextCorpus corpus;

    @BeforeAll
    static void writeText() throws IOException {
        List<String> documents = SyntheticCorpus.documents(160, 23);
        corpus = TextCorpus.of(documents, "synthetic");
        Files.writeString(dir.resolve("train.txt"), String.join("\n", documents) + "\n", StandardCharsets.UTF_8);
    }

    @Test
    void pythonUnitTestsPass() throws Exception {
        PyTorchReference.assumeAvailable();
        String out = PyTorchReference.runCommand(List.of(PyTorchReference.PYTHON, "-m", "unittest", "discover", "-s", "."));
        assertTrue(out.contains("OK"), out);
    }

    /** A few steps of the project's training recipe, with 2 key/value heads for 4 query heads and the start token. */
    private static LazyLanguageModel javaModel(AttentionVariant variant) throws IOException {
        Map<String, String> given = new java.util.HashMap<>(Map.of("preset", "tiny", "attention", variant.id(),
                "vocabSize", "300", "heads", "4", "kvHeads", "2", "contextLength", "64", "startToken", "true",
                "steps", "12", "learningRate", "0.01", "warmupSteps", "1"));
        given.putAll(Map.of("batchSize", "4", "gradAccum", "1", "seed", "5", "device", "cpu", "progress", "false",
                "evalEvery", "0", "checkpointEvery", "0"));
        TrainConfig settings = TrainConfig.SETTINGS.bind(TrainConfig.DEFAULTS, FrontEnd.CORENLP,
                name -> given.get(name.substring("lazylm.train.".length())));
        try (TrainedModel trained = TrainingRecipe.of(settings).train(corpus, null, dir.resolve("java-" + variant.id()))) {
            return trained.release();
        }
    }

    /** Java's per-piece log-probabilities of each sequence (every piece after the first). */
    private static List<double[]> javaScores(LazyLanguageModel lm, List<int[]> sequences) {
        SequenceScorer scorer = new SequenceScorer(lm, ScoringOptions.defaults(lm.config().contextLength()));
        List<ScoringRequest> requests = sequences.stream().map(s -> new ScoringRequest(s, 1)).toList();
        return scorer.score(requests).stream().map(SequenceScore::logProbabilities).toList();
    }

    private static double largest(List<double[]> expected, List<double[]> actual, String what) {
        double max = 0;
        for (int i = 0; i < expected.size(); i++) {
            max = Math.max(max, PyTorchReference.largestDifference(expected.get(i), actual.get(i), what + ", text " + i));
        }
        return max;
    }

    private static void report(String direction, AttentionVariant variant, String path, double difference, int tokens) {
        System.out.printf(Locale.ROOT, "parity %s %-12s %-32s largest difference %.3e over %d tokens%n",
                direction, variant.id(), path, difference, tokens);
        assertTrue(difference <= TOLERANCE, direction + " " + variant.id() + " " + path + ": largest difference "
                + difference + " exceeds " + TOLERANCE);
    }

    @ParameterizedTest
    @EnumSource(names = "LAZY")
    void aJavaModelScoresTheSameInPyTorch(AttentionVariant variant) throws Exception {
        javaModelScoresTheSameInPyTorch(variant);
    }

    @Tag("slow")
    @ParameterizedTest
    @EnumSource(names = "LAZY", mode = EnumSource.Mode.EXCLUDE)
    void aJavaModelOfEveryOtherVariantScoresTheSameInPyTorch(AttentionVariant variant) throws Exception {
        javaModelScoresTheSameInPyTorch(variant);
    }

    private static void javaModelScoresTheSameInPyTorch(AttentionVariant variant) throws Exception {
        PyTorchReference.assumeAvailable();
        try (LazyLanguageModel lm = javaModel(variant)) {
            assertEquals(2, lm.config().numKvHeads());
            assertTrue(lm.config().startToken());
            Path folder = dir.resolve("exported-" + variant.id());
            lm.exportFolder(folder, DataType.FLOAT32);
            List<int[]> sequences = new ArrayList<>();
            for (String text : TEXTS) {
                sequences.add(lm.tokenizer().afterEndOfText(lm.tokenizer().encode(text)));
                // without the boundary the start token is prepended as context: both sides must do so
                sequences.add(lm.tokenizer().encode(text));
            }
            sequences.add(lm.tokenizer().afterEndOfText(lm.tokenizer().encode(NOT_ASCII)));
            List<double[]> java = javaScores(lm, sequences);
            List<double[]> python = PyTorchReference.score(folder, sequences, dir);
            report("java->pytorch", variant, "SequenceScorer vs lazy_attention.py", largest(python, java, variant.id()),
                    java.stream().mapToInt(a -> a.length).sum());
        }
    }

    /** PyTorch trains a model with 2 key/value heads for 4 query heads and the start token, and saves it. */
    private static Path pyTorchModel(AttentionVariant variant, String dtype) throws Exception {
        Path folder = dir.resolve("pytorch-" + variant.id() + "-" + dtype);
        PyTorchReference.run("train_ddp.py", "--text", dir.resolve("train.txt").toString(), "--out", folder.toString(),
                "--nproc", "1", "--variant", variant.id(), "--heads", "4", "--kv-heads", "2", "--context", "128",
                "--bias-length", "48", "--start-token", "--steps", "25", "--lr", "0.01", "--seed", "3", "--dtype", dtype);
        return folder;
    }

    @ParameterizedTest
    @EnumSource(names = "LAZY")
    void aPyTorchModelScoresTheSameInDjlCoreNlpAndOpenNlp(AttentionVariant variant) throws Exception {
        PyTorchReference.assumeAvailable();
        pyTorchModelScoresTheSameInJava(variant, pyTorchModel(variant, "F32"), "");
    }

    @Tag("slow")
    @ParameterizedTest
    @EnumSource(names = "LAZY", mode = EnumSource.Mode.EXCLUDE)
    void aPyTorchModelOfEveryOtherVariantScoresTheSameInDjlCoreNlpAndOpenNlp(AttentionVariant variant)
            throws Exception {
        PyTorchReference.assumeAvailable();
        pyTorchModelScoresTheSameInJava(variant, pyTorchModel(variant, "F32"), "");
    }

    @Test
    void aBfloat16FolderThatPyTorchWroteScoresTheSameInJava() throws Exception {
        PyTorchReference.assumeAvailable();
        pyTorchModelScoresTheSameInJava(AttentionVariant.LAZY, pyTorchModel(AttentionVariant.LAZY, "BF16"), " (bfloat16)");
    }

    private static void pyTorchModelScoresTheSameInJava(AttentionVariant variant, Path folder, String note)
            throws Exception {
        List<String> texts = new ArrayList<>(TEXTS);
        texts.add(NOT_ASCII);
        List<int[]> sequences = new ArrayList<>();
        for (String text : texts) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            int[] ids = new int[utf8.length + 1];
            ids[0] = 256; // <|endoftext|> of the byte vocabulary
            for (int i = 0; i < utf8.length; i++) {
                ids[i + 1] = utf8[i] & 0xFF;
            }
            sequences.add(ids);
        }
        List<double[]> python = PyTorchReference.score(folder, sequences, dir);

        try (LazyLanguageModel lm = LazyLanguageModel.load(folder, Device.cpu())) {
            assertEquals(variant, lm.config().attention());
            assertEquals(2, lm.config().numKvHeads());
            assertTrue(lm.config().startToken());
            for (int i = 0; i < texts.size(); i++) { // Java reads the byte vocabulary as PyTorch wrote it
                assertArrayEquals(sequences.get(i), lm.tokenizer().afterEndOfText(lm.tokenizer().encode(texts.get(i))));
            }
            List<double[]> djl = javaScores(lm, sequences);
            report("pytorch->java", variant, "DJL SequenceScorer" + note, largest(python, djl, variant.id()),
                    djl.stream().mapToInt(a -> a.length).sum());
        }
        int ascii = TEXTS.size();
        List<CoreMap> sentences = annotate(folder);
        double[] coreNlp = coreNlpTokens(sentences);
        double[] expected = pythonPerCoreNlpToken(sentences, python.subList(0, ascii));
        report("pytorch->java", variant, "CoreNLP annotator, per token" + note,
                PyTorchReference.largestDifference(expected, coreNlp, "CoreNLP"), coreNlp.length);

        double[] openNlp = new double[texts.size()];
        double[] sums = new double[texts.size()];
        try (LazyAttentionModel model = new LazyAttentionModel(folder)) {
            LazyAttentionLanguageModel lm = new LazyAttentionLanguageModel(model);
            for (int i = 0; i < texts.size(); i++) {
                openNlp[i] = lm.textLogProbability(texts.get(i));
                sums[i] = java.util.Arrays.stream(python.get(i)).sum();
            }
        }
        report("pytorch->java", variant, "OpenNLP, per text" + note,
                PyTorchReference.largestDifference(sums, openNlp, "OpenNLP"), texts.size());
    }

    private static List<CoreMap> annotate(Path folder) {
        Properties p = new Properties();
        p.setProperty("annotators", "tokenize,ssplit,lazylm");
        p.setProperty("customAnnotatorClass.lazylm", LazyLmAnnotator.class.getName());
        p.setProperty("lazylm.model", folder.toString());
        p.setProperty("lazylm.device", "cpu");
        p.setProperty("ssplit.eolonly", "true"); // one sentence a line, each scored after a document boundary
        Annotation doc = new Annotation(String.join("\n", TEXTS));
        new StanfordCoreNLP(p).annotate(doc);
        List<CoreMap> sentences = doc.get(CoreAnnotations.SentencesAnnotation.class);
        assertEquals(TEXTS.size(), sentences.size());
        return sentences;
    }

    /** The annotator's log-probability of every CoreNLP token of {@link #TEXTS}. */
    private static double[] coreNlpTokens(List<CoreMap> sentences) {
        List<Double> values = new ArrayList<>();
        for (CoreMap sentence : sentences) {
            for (CoreLabel token : sentence.get(CoreAnnotations.TokensAnnotation.class)) {
                values.add(token.get(LazyLmAnnotations.TokenLogProbability.class));
            }
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * PyTorch's log-probabilities summed per CoreNLP token: in an ASCII text each byte piece is one character,
     * and a token owns its characters and the whitespace before it.
     */
    private static double[] pythonPerCoreNlpToken(List<CoreMap> sentences, List<double[]> python) {
        List<Double> values = new ArrayList<>();
        for (int s = 0; s < sentences.size(); s++) {
            int sentenceStart = sentences.get(s).get(CoreAnnotations.CharacterOffsetBeginAnnotation.class);
            int from = 0;
            for (CoreLabel token : sentences.get(s).get(CoreAnnotations.TokensAnnotation.class)) {
                int end = token.endPosition() - sentenceStart;
                double sum = 0;
                for (int c = from; c < end; c++) {
                    sum += python.get(s)[c];
                }
                values.add(sum);
                from = end;
            }
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}

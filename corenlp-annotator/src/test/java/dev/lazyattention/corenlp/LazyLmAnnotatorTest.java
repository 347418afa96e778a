package dev.lazyattention.corenlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.SyntheticCorpus;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.util.CoreMap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The annotator against the block's own scorer, and its behaviour on hard and bad input. */
class LazyLmAnnotatorTest {

    static LazyLanguageModel reference;
    static final String TEXT = "The quick fox sees the dog.  The old farmer helps the child near the river!\n"
            + "The lazy cat, and 3 dogs agree.";

    @BeforeAll
    static void load() throws IOException {
        reference = LazyLanguageModel.load(AnnotatorFixture.modelFile(), Device.cpu());
    }

    @AfterAll
    static void close() {
        reference.close();
    }

    /** The log-probability of a text from its first piece after a document boundary, by the block's scorer. */
    private static double score(String text) {
        int[] ids = reference.tokenizer().encode(text);
        int[] tokens = new int[ids.length + 1];
        tokens[0] = reference.tokenizer().endOfTextId();
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        return new SequenceScorer(reference, ScoringOptions.defaults(32)).score(new ScoringRequest(tokens, 1))
                .logProbability();
    }

    private static Annotation annotate(StanfordCoreNLP pipeline, String text) {
        Annotation doc = new Annotation(text);
        pipeline.annotate(doc);
        return doc;
    }

    @Test
    void sentenceScopeMatchesScoringEachSentenceAloneAndTokensAddUp() throws IOException {
        Annotation doc = annotate(AnnotatorFixture.pipeline(), TEXT);
        List<CoreMap> sentences = doc.get(CoreAnnotations.SentencesAnnotation.class);
        assertEquals(3, sentences.size());
        double documentTotal = 0;
        for (CoreMap s : sentences) {
            List<CoreLabel> tokens = s.get(CoreAnnotations.TokensAnnotation.class);
            String text = TEXT.substring(tokens.get(0).beginPosition(), tokens.get(tokens.size() - 1).endPosition());
            double sentence = s.get(LazyLmAnnotations.SentenceLogProbability.class);
            assertEquals(score(text), sentence, 1e-4, text);
            double sum = 0;
            for (CoreLabel t : tokens) {
                double lp = t.get(LazyLmAnnotations.TokenLogProbability.class);
                assertTrue(lp <= 1e-9, "a log-probability is at most 0: " + lp + " for " + t.word());
                assertEquals(-lp / Math.log(2), t.get(LazyLmAnnotations.TokenSurprisal.class), 1e-9);
                sum += lp;
            }
            assertEquals(sentence, sum, 1e-9, "token values add up to the sentence");
            int bytes = text.getBytes(StandardCharsets.UTF_8).length;
            assertEquals(-sentence / Math.log(2) / bytes, s.get(LazyLmAnnotations.SentenceBitsPerByte.class), 1e-9);
            int pieces = s.get(LazyLmAnnotations.SentencePieceCount.class);
            assertEquals(reference.tokenizer().encode(text).length, pieces);
            assertEquals(Math.exp(-sentence / pieces), s.get(LazyLmAnnotations.SentencePerplexity.class), 1e-9);
            documentTotal += sentence;
        }
        assertEquals(documentTotal, doc.get(LazyLmAnnotations.DocumentLogProbability.class), 1e-9);
    }

    @Test
    void documentScopeMatchesScoringTheWholeTextOnce() throws IOException {
        Annotation doc = annotate(AnnotatorFixture.pipeline("scope", "document", "attentionStats", "true", "topK", "3"), TEXT);
        assertEquals(score(TEXT), doc.get(LazyLmAnnotations.DocumentLogProbability.class), 1e-4);
        double sum = 0;
        for (CoreMap s : doc.get(CoreAnnotations.SentencesAnnotation.class)) {
            sum += s.get(LazyLmAnnotations.SentenceLogProbability.class);
            // Shares of weights and means of probabilities: both lie in [0, 1].
            double sentenceSparsity = s.get(LazyLmAnnotations.SentenceSparsity.class);
            double sinkMass = s.get(LazyLmAnnotations.SentenceSinkMass.class);
            assertTrue(sentenceSparsity >= 0 && sentenceSparsity <= 1, "sentence sparsity " + sentenceSparsity);
            assertTrue(sinkMass >= 0 && sinkMass <= 1, "sentence sink mass " + sinkMass);
            assertEquals(3, s.get(LazyLmAnnotations.SentenceNextTokens.class).size());
        }
        assertEquals(doc.get(LazyLmAnnotations.DocumentLogProbability.class), sum, 1e-9);
        double sparsity = doc.get(LazyLmAnnotations.DocumentSparsity.class);
        assertTrue(sparsity > 0 && sparsity < 1, "lazy attention has exact zeros: " + sparsity);
    }

    @Test
    void batchedAndMultiThreadedResultsEqualOneByOne() throws IOException {
        Random random = new Random(9);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            text.append(SyntheticCorpus.sentence(random)).append(i % 7 == 0 ? "\n\n" : " ");
        }
        Annotation one = annotate(AnnotatorFixture.pipeline("batchSize", "1"), text.toString());
        Annotation batched = annotate(AnnotatorFixture.pipeline("batchSize", "32"), text.toString());
        Annotation threads = annotate(AnnotatorFixture.pipeline("batchSize", "8", "nthreads", "4"), text.toString());
        List<CoreLabel> a = one.get(CoreAnnotations.TokensAnnotation.class);
        List<CoreLabel> b = batched.get(CoreAnnotations.TokensAnnotation.class);
        List<CoreLabel> c = threads.get(CoreAnnotations.TokensAnnotation.class);
        assertTrue(a.size() > 1500);
        for (int i = 0; i < a.size(); i++) {
            double expected = a.get(i).get(LazyLmAnnotations.TokenLogProbability.class);
            assertEquals(expected, b.get(i).get(LazyLmAnnotations.TokenLogProbability.class), 1e-5);
            assertEquals(expected, c.get(i).get(LazyLmAnnotations.TokenLogProbability.class), 1e-5);
        }
    }

    @Test
    void hardInputStillGivesEveryTokenAValue() throws IOException {
        StanfordCoreNLP pipeline = AnnotatorFixture.pipeline("maxLength", "24", "attentionStats", "true", "topK", "2");
        String longSentence = "the dog sees the cat and ".repeat(1700).trim() + ".";
        String[] texts = {
            "", "   \n  ", "!!! ??? ... ;;;", "日本語の文章です。东京很大。", "Emoji 😀👍🏽 and 👨‍👩‍👧 family.",
            "Ελληνικά κείμενα. Русский текст. עברית. العربية.", "Combining e\u0301 and a\u0308.",
        };
        for (String text : texts) {
            Annotation doc = annotate(pipeline, text);
            List<CoreLabel> tokens = doc.get(CoreAnnotations.TokensAnnotation.class);
            for (CoreLabel t : tokens) {
                Double lp = t.get(LazyLmAnnotations.TokenLogProbability.class);
                assertNotNull(lp, "token '" + t.word() + "' of: " + text);
                assertFalse(lp.isNaN(), "token '" + t.word() + "' of: " + text);
            }
            assertNotNull(doc.get(LazyLmAnnotations.DocumentLogProbability.class), text);
            if (tokens.isEmpty()) {
                assertEquals(0.0, doc.get(LazyLmAnnotations.DocumentLogProbability.class));
                assertTrue(doc.get(LazyLmAnnotations.DocumentPerplexity.class).isNaN());
            }
        }
        Annotation big = annotate(pipeline, longSentence);
        List<CoreLabel> bigTokens = big.get(CoreAnnotations.TokensAnnotation.class);
        assertTrue(bigTokens.size() >= 10_000);
        assertTrue(bigTokens.stream().allMatch(t -> Double.isFinite(t.get(LazyLmAnnotations.TokenLogProbability.class))));
        // Sliding windows of 24, stride 12: every piece scored once, so the total is the whole text's score.
        int[] ids = reference.tokenizer().encode(longSentence);
        int[] tokens = new int[ids.length + 1];
        tokens[0] = reference.tokenizer().endOfTextId();
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        double expected = new SequenceScorer(reference, new ScoringOptions(24, 12, 8, false, 0))
                .score(new ScoringRequest(tokens, 1)).logProbability();
        assertEquals(expected, big.get(LazyLmAnnotations.DocumentLogProbability.class), 1e-3);
    }

    @Test
    void aDocumentOverMaxDocumentCharsIsSkippedWithNaNValues() throws IOException {
        StanfordCoreNLP pipeline = AnnotatorFixture.pipeline("maxDocumentChars", "40");
        Annotation small = annotate(pipeline, "The dog sees the cat.");
        assertTrue(Double.isFinite(small.get(LazyLmAnnotations.DocumentLogProbability.class)));

        Annotation big = annotate(pipeline, "The dog sees the cat. The cat sees the dog. The end.");
        assertTrue(big.get(LazyLmAnnotations.DocumentLogProbability.class).isNaN());
        for (CoreLabel t : big.get(CoreAnnotations.TokensAnnotation.class)) {
            assertTrue(t.get(LazyLmAnnotations.TokenLogProbability.class).isNaN(), t.word());
        }
        assertMessage(() -> AnnotatorFixture.pipeline("maxDocumentChars", "-1"),
                "lazylm.maxDocumentChars must be >= 1, got -1");
    }

    @Test
    void configurationErrorsNameThePropertyAndTheFile() throws IOException {
        java.util.Properties missing = AnnotatorFixture.props();
        missing.remove("lazylm.model");
        assertMessage(() -> new StanfordCoreNLP(missing), "lazylm.model must be given");

        Path corrupt = Files.createTempFile("corrupt", ".lazylm.zip");
        Files.writeString(corrupt, "not a model");
        java.util.Properties bad = AnnotatorFixture.props();
        bad.setProperty("lazylm.model", corrupt.toString());
        assertMessage(() -> new StanfordCoreNLP(bad), "lazylm.model=" + corrupt);

        java.util.Properties absent = AnnotatorFixture.props();
        absent.setProperty("lazylm.model", "/no/such/model.lazylm.zip");
        assertMessage(() -> new StanfordCoreNLP(absent), "file not found");

        assertMessage(() -> AnnotatorFixture.pipeline("scope", "paragraph"), "lazylm.scope=paragraph");
        assertMessage(() -> AnnotatorFixture.pipeline("maxLength", "999"), "lazylm.maxLength=999");
        assertMessage(() -> AnnotatorFixture.pipeline("batchSize", "zero"), "lazylm.batchSize=zero");
        assertMessage(() -> AnnotatorFixture.pipeline("device", "tpu"), "lazylm.device");
    }

    @Test
    void aConfigurationErrorIsTheExceptionThatTheNewPipelineThrows() throws IOException {
        java.util.Properties typo = AnnotatorFixture.props();
        typo.setProperty("lazylm.modle", typo.getProperty("lazylm.model"));
        typo.remove("lazylm.model");
        LazyLmConfigurationException misspelt = assertThrows(LazyLmConfigurationException.class,
                () -> new StanfordCoreNLP(typo));
        assertTrue(misspelt.getMessage().startsWith(
                "lazylm.modle is not a property of the lazylm annotator; did you mean lazylm.model?"),
                misspelt.getMessage());
        // CoreNLP keeps the annotator for pipelines of the same properties: they get the same message.
        LazyLmConfigurationException again = assertThrows(LazyLmConfigurationException.class,
                () -> new StanfordCoreNLP(typo));
        assertEquals(misspelt.getMessage(), again.getMessage());

        LazyLmConfigurationException wrongCase = assertThrows(LazyLmConfigurationException.class,
                () -> AnnotatorFixture.pipeline("topk", "3"));
        assertTrue(wrongCase.getMessage().startsWith(
                "lazylm.topk is not a property of the lazylm annotator; did you mean lazylm.topK?"),
                wrongCase.getMessage());

        Path later = Files.createTempDirectory("later").resolve("model.lazylm.zip");
        java.util.Properties absent = AnnotatorFixture.props();
        absent.setProperty("lazylm.model", later.toString());
        LazyLmConfigurationException missing = assertThrows(LazyLmConfigurationException.class,
                () -> new StanfordCoreNLP(absent));
        assertEquals("lazylm.model=" + later + ": " + later + ": file not found", missing.getMessage());
        // The file appears: the same properties now build a pipeline (the kept annotator tries again).
        Files.copy(AnnotatorFixture.modelFile(), later);
        Annotation doc = annotate(new StanfordCoreNLP(absent), "The dog sees the cat.");
        assertTrue(Double.isFinite(doc.get(LazyLmAnnotations.DocumentLogProbability.class)));

        LazyLmConfigurationException device = assertThrows(LazyLmConfigurationException.class,
                () -> AnnotatorFixture.pipeline("device", "tpu"));
        assertEquals("lazylm.device=tpu: expected auto, cpu, gpu or gpu:N", device.getMessage());
    }

    @Test
    void withoutRequirementChecksTheFirstAnnotateThrowsTheConfigurationError() throws IOException {
        StanfordCoreNLP unchecked = new StanfordCoreNLP(AnnotatorFixture.props("scope", "paragraph"), false);
        LazyLmConfigurationException e = assertThrows(LazyLmConfigurationException.class,
                () -> unchecked.annotate(new Annotation("The dog sees the cat.")));
        assertEquals("lazylm.scope=paragraph: expected sentence or document", e.getMessage());
    }

    @Test
    void anOutputFormatThatDropsTheValuesIsWarnedAbout() {
        java.util.Properties json = new java.util.Properties();
        json.setProperty("outputFormat", "json");
        assertEquals("lazylm: outputFormat=json prints none of the lazylm values (CoreNLP's outputters know only"
                + " CoreNLP's keys); for JSON with them set outputFormat=custom and customOutputter="
                + "dev.lazyattention.corenlp.LazyLmJsonOutputter",
                LazyLmAnnotator.droppedValuesWarning(json).orElseThrow());
        json.setProperty("outputFormat", "custom");
        assertTrue(LazyLmAnnotator.droppedValuesWarning(json).isEmpty());
        assertTrue(LazyLmAnnotator.droppedValuesWarning(new java.util.Properties()).isEmpty());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String message) {
        RuntimeException thrown = assertThrows(RuntimeException.class, e);
        String all = "";
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            all += t.getMessage() + " | ";
        }
        assertTrue(all.contains(message), "expected '" + message + "' in: " + all);
    }
}

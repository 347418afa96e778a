package dev.lazyattention.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.serving.LazyLmCriteria;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.testing.ReferenceLm;
import dev.lazyattention.testing.SyntheticCorpus;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.train.LmTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model trained with the start token ({@code LmConfig.startToken}) is scored by every path with the
 * end-of-text token at position 0 of every window, as it was trained: {@link SequenceScorer} (a text longer
 * than a window, batched and alone), {@link CorpusEvaluator}, the DJL translator and the trainer's
 * validation loss all give the log-probabilities of {@link ReferenceLm}, a float64 forward pass without
 * DJL, over windows built here from the rule alone: the first window is the text after its end-of-text
 * token; each later one is the end-of-text token, then the text from {@code W - S} tokens before the
 * targets it scores. The model is read back from its file, so the setting also travels through it.
 */
class StartTokenScoringPathsTest {

    private static final double TOLERANCE = 1e-5;

    @TempDir
    static Path dir;

    static Path modelFile;
    static LazyLanguageModel lm;
    static ReferenceLm reference;
    static int endOfText;
    static List<String> texts;
    static String longText;

    @BeforeAll
    static void trainOnce() throws IOException {
        LmConfig config = TinyModels.config(AttentionVariant.SOFTMAX).with(LmConfig.START_TOKEN, true);
        try (LazyLanguageModel fresh = LazyLanguageModel.create(config, TinyModels.tokenizer(), Device.cpu(), 3)) {
            new LmTrainer(TinyModels.quickOptions(30).build(), dir.resolve("run")).train(fresh,
                    TinyModels.trainCorpus().tokens(fresh.tokenizer()), TinyModels.validCorpus().tokens(fresh.tokenizer()));
        }
        modelFile = dir.resolve("run").resolve(LmTrainer.MODEL_FILE);
        lm = LazyLanguageModel.load(modelFile, Device.cpu());
        assertTrue(lm.config().startToken(), "the model file records the start token");
        reference = ReferenceLm.of(lm);
        endOfText = lm.tokenizer().endOfTextId();
        Random random = new Random(17);
        texts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            texts.add(SyntheticCorpus.sentence(random));
        }
        StringBuilder b = new StringBuilder();
        while (lm.tokenizer().encode(b.toString()).length < 3 * lm.config().contextLength()) {
            b.append(SyntheticCorpus.sentence(random)).append(' ');
        }
        longText = b.toString().trim();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    /** {@code <|endoftext|>}, then the pieces. */
    private static int[] byHand(String text) {
        int[] ids = lm.tokenizer().encode(text);
        int[] tokens = new int[ids.length + 1];
        tokens[0] = endOfText;
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        return tokens;
    }

    /**
     * The reference's log-probabilities of {@code x[1..n)} ({@code x[0]} the end-of-text token) in windows
     * of {@code w} inputs at stride {@code s}: the first window is {@code x[0..w)}; each later one scores the
     * next {@code s} targets from the end-of-text token and the text from {@code w - s} tokens before them.
     */
    private static double[] expected(int[] x, int w, int s) {
        int n = x.length;
        double[] out = new double[n - 1];
        int last = Math.min(n - 1, w);
        System.arraycopy(reference.logProbabilities(Arrays.copyOf(x, last + 1), 1), 0, out, 0, last);
        for (int first = last + 1; first < n; first += s) {
            int from = first - (w - s);
            int end = Math.min(n - 1, first + s - 1);
            int[] row = new int[end - from + 2];
            row[0] = endOfText;
            System.arraycopy(x, from, row, 1, end - from + 1);
            assertTrue(row.length - 1 <= w, "a window holds at most w inputs");
            double[] lp = reference.logProbabilities(row, 1 + first - from);
            System.arraycopy(lp, 0, out, first - 1, lp.length);
        }
        return out;
    }

    private static double sum(double[] values) {
        return Arrays.stream(values).sum();
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        ReferenceLm.assertClose(expected, actual, TOLERANCE, what);
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void sequenceScorerPutsTheStartTokenBeforeEveryLaterWindow() {
        int w = lm.config().contextLength();
        int s = w / 2;
        List<ScoringRequest> requests = new ArrayList<>();
        double[] want = new double[0];
        for (String text : concatenated(texts, longText)) {
            requests.add(new ScoringRequest(lm.tokenizer().afterEndOfText(lm.tokenizer().encode(text)), 1));
            want = concat(want, expected(byHand(text), w, s));
        }
        assertTrue(byHand(longText).length > 2 * w, "the long text needs several windows");
        for (int batch : new int[] {1, 8}) {
            double[] got = new double[0];
            for (SequenceScore score : new SequenceScorer(lm, ScoringOptions.defaults(w).withBatchSize(batch))
                    .score(requests)) {
                got = concat(got, score.logProbabilities());
            }
            assertClose(want, got, "SequenceScorer, batch " + batch);
        }
        // A shorter window and stride: more windows, each still after the start token.
        double[] got = new SequenceScorer(lm, new ScoringOptions(12, 5, 4, false, 0))
                .score(new ScoringRequest(byHand(longText), 1)).logProbabilities();
        assertClose(expected(byHand(longText), 12, 5), got, "SequenceScorer, window 12 stride 5");
    }

    @Test
    void corpusEvaluatorScoresEveryDocumentTheSameWay() {
        List<String> documents = concatenated(texts, longText);
        EvalResult result = new CorpusEvaluator(lm, ScoringOptions.defaults(lm.config().contextLength())
                .withBatchSize(4)).evaluate(TextCorpus.of(documents, "texts"));
        double nll = 0;
        long count = 0;
        for (String text : documents) {
            double[] lp = expected(byHand(text), lm.config().contextLength(), lm.config().contextLength() / 2);
            nll -= sum(lp);
            count += lp.length;
        }
        assertEquals(count, result.tokens());
        assertClose(new double[] {nll / count}, new double[] {result.loss()}, "CorpusEvaluator mean loss");
    }

    @Test
    void djlTranslatorScoresAfterTheStartToken() throws Exception {
        Criteria<String, Float> criteria = LazyLmCriteria.builder(modelFile)
                .setTypes(String.class, Float.class)
                .optDevice(Device.cpu())
                .build();
        double[] want = new double[texts.size()];
        double[] got = new double[texts.size()];
        try (ZooModel<String, Float> model = criteria.loadModel();
                Predictor<String, Float> predictor = model.newPredictor()) {
            for (int i = 0; i < texts.size(); i++) {
                want[i] = sum(reference.logProbabilities(byHand(texts.get(i)), 1));
                got[i] = predictor.predict(texts.get(i));
            }
        }
        assertClose(want, got, "DJL translator, per text");
    }

    @Test
    void validationWindowsAreTheStartTokenThenTheTextLikeTrainingWindows() {
        int length = lm.config().contextLength();
        int[] stream = TinyModels.validCorpus().tokens(lm.tokenizer());
        List<int[]> windows = LmTrainer.validationWindowsOf(lm, stream, length, 5);
        double nll = 0;
        long count = 0;
        for (int k = 0; k < 5; k++) {
            int[] byHand = new int[length + 1];
            byHand[0] = endOfText;
            System.arraycopy(stream, k * length, byHand, 1, length);
            assertArrayEquals(byHand, windows.get(k), "validation window " + k);
            double[] lp = reference.logProbabilities(byHand, 1);
            nll -= sum(lp);
            count += lp.length;
        }
        assertEquals(5L * length, count, "every window scores T tokens, as a training window does");
        assertClose(new double[] {nll / count}, new double[] {LmTrainer.validationLoss(lm, windows, 2)},
                "LmTrainer validation loss");

        // Sequences that do not begin with the end-of-text token get it in front; one that does (the stream's
        // first, a document's start) keeps the one it has.
        List<int[]> plain = new ArrayList<>();
        double plainNll = 0;
        long plainCount = 0;
        int prepended = 0;
        for (int k = 0; k < 4; k++) {
            int[] tokens = Arrays.copyOfRange(stream, k * length, (k + 1) * length);
            plain.add(tokens);
            double[] lp;
            if (tokens[0] == endOfText) {
                lp = reference.logProbabilities(tokens, 1);
            } else {
                int[] row = new int[length + 1];
                row[0] = endOfText;
                System.arraycopy(tokens, 0, row, 1, length);
                lp = reference.logProbabilities(row, 2);
                prepended++;
            }
            plainNll -= sum(lp);
            plainCount += lp.length;
        }
        assertEquals(endOfText, stream[0], "the stream begins at a document boundary");
        assertTrue(prepended > 0, "some sequences do not begin with the boundary");
        assertClose(new double[] {plainNll / plainCount}, new double[] {new CorpusEvaluator(lm,
                ScoringOptions.defaults(length)).meanLoss(plain)}, "CorpusEvaluator.meanLoss without the boundary");
    }

    private static List<String> concatenated(List<String> list, String last) {
        List<String> all = new ArrayList<>(list);
        all.add(last);
        return all;
    }
}

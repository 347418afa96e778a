package dev.lazyattention.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.generate.GenerationOptions;
import dev.lazyattention.generate.Generator;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.SyntheticCorpus;
import dev.lazyattention.testing.TinyModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One loaded model shared by many threads. */
class ConcurrencyTest {

    private static List<ScoringRequest> requests(LazyLanguageModel lm, int n, long seed) {
        Random random = new Random(seed);
        List<ScoringRequest> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] ids = lm.tokenizer().encode(SyntheticCorpus.sentence(random));
            int[] tokens = new int[ids.length + 1];
            tokens[0] = lm.tokenizer().endOfTextId();
            System.arraycopy(ids, 0, tokens, 1, ids.length);
            list.add(new ScoringRequest(tokens, 1));
        }
        return list;
    }

    @Test
    void eightThreadsGiveTheSameResultsAsSerialUse() throws Exception {
        try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 8)) {
            SequenceScorer scorer = new SequenceScorer(lm, ScoringOptions.defaults(32).withBatchSize(4));
            List<List<ScoringRequest>> work = new ArrayList<>();
            List<double[][]> serial = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                List<ScoringRequest> r = requests(lm, 40, t);
                work.add(r);
                serial.add(scorer.score(r).stream().map(SequenceScore::logProbabilities).toArray(double[][]::new));
            }
            String serialText = new Generator(lm).generate("The quick", GenerationOptions.greedy(20)).text();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<double[][]>> futures = new ArrayList<>();
                List<Future<String>> texts = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    List<ScoringRequest> r = work.get(t);
                    futures.add(pool.submit(() -> {
                        start.await();
                        return scorer.score(r).stream().map(SequenceScore::logProbabilities).toArray(double[][]::new);
                    }));
                    texts.add(pool.submit(() -> {
                        start.await();
                        return new Generator(lm).generate("The quick", GenerationOptions.greedy(20)).text();
                    }));
                }
                start.countDown();
                for (int t = 0; t < 8; t++) {
                    double[][] got = futures.get(t).get();
                    for (int i = 0; i < got.length; i++) {
                        assertArrayEquals(serial.get(t)[i], got[i], 1e-6, "thread " + t + ", sequence " + i);
                    }
                    assertEquals(serialText, texts.get(t).get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void closingAModelInUseGivesAnErrorNotACrash() throws Exception {
        LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 9);
        SequenceScorer scorer = new SequenceScorer(lm, ScoringOptions.defaults(32));
        List<ScoringRequest> work = requests(lm, 200, 1);
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger successes = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            futures.add(pool.submit(() -> {
                for (int round = 0; round < 50; round++) {
                    try {
                        scorer.score(work.subList(0, 10));
                        successes.incrementAndGet();
                    } catch (IllegalStateException e) {
                        assertTrue(e.getMessage().contains("closed"), e.getMessage());
                        failures.incrementAndGet();
                        return;
                    }
                }
            }));
        }
        Thread.sleep(200);
        lm.close(); // waits for running calls, then refuses new ones
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
        assertTrue(successes.get() > 0);
        IllegalStateException after = assertThrows(IllegalStateException.class, () -> scorer.score(work.subList(0, 1)));
        assertEquals("the model is closed", after.getMessage());
    }
}

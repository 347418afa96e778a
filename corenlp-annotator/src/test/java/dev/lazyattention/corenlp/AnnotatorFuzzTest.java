package dev.lazyattention.corenlp;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lazyattention.testing.Fuzzing;
import dev.lazyattention.testing.HostileText;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded hostile documents (1,000; 10,000 under -Pfull, see {@link Fuzzing}): the annotator never throws and
 * every token gets a finite value.
 */
class AnnotatorFuzzTest {

    @Test
    void hostileDocuments() throws IOException {
        StanfordCoreNLP sentenceScope = AnnotatorFixture.pipeline("topK", "2");
        StanfordCoreNLP documentScope = AnnotatorFixture.pipeline("scope", "document", "attentionStats", "true");
        Random random = new Random(2026);
        for (int i = 0, n = Fuzzing.inputs(); i < n; i++) {
            String text = HostileText.next(random, 8);
            Annotation doc = new Annotation(text);
            (i % 2 == 0 ? sentenceScope : documentScope).annotate(doc);
            for (CoreLabel t : doc.get(CoreAnnotations.TokensAnnotation.class)) {
                Double lp = t.get(LazyLmAnnotations.TokenLogProbability.class);
                assertNotNull(lp, "case " + i);
                assertTrue(Double.isFinite(lp) && lp <= 1e-9, "case " + i + ": " + lp + " for " + escape(text));
            }
            double document = doc.get(LazyLmAnnotations.DocumentLogProbability.class);
            assertTrue(Double.isFinite(document) && document <= 1e-9, "case " + i + ": document " + document + " for "
                    + escape(text));
        }
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.chars().forEach(c -> sb.append(c < 32 || c > 126 ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return sb.toString();
    }
}

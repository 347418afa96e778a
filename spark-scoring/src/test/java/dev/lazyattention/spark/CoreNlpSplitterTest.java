package dev.lazyattention.spark;

import dev.lazyattention.corenlp.LazyLmAnnotations;
import dev.lazyattention.eval.ScoringConfig;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.util.CoreMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * With the CoreNLP splitter, every sentence gets what the lazylm CoreNLP annotator gives it in sentence scope:
 * the same sentences, pieces and log-probability.
 */
class CoreNlpSplitterTest {

    @Test
    void sentencesEqualTheAnnotatorsInSentenceScope() {
        List<String> texts = new ArrayList<>(Corpora.paragraphs(12, 31));
        texts.add("Dr. Smith sees the dog.  The U.S.A. farmer finds it (near the river)! Does the cat agree?");
        List<Row> rows = LazyLmScoring.scoreDocumentsAndSentences(Corpora.frame(LocalSpark.session(), texts, 2),
                "text", ScoringConfig.of(TestModel.file().toString()).with(ScoringConfig.SPLITTER,
                        ScoringConfig.SentenceSplitting.CORENLP))
                .collectAsList();

        Properties props = new Properties();
        props.setProperty("annotators", "tokenize,ssplit,lazylm");
        props.setProperty("customAnnotatorClass.lazylm", "dev.lazyattention.corenlp.LazyLmAnnotator");
        props.setProperty("lazylm.model", TestModel.file().toString());
        props.setProperty("lazylm.scope", "sentence");
        props.setProperty("lazylm.device", "cpu");
        StanfordCoreNLP annotator = new StanfordCoreNLP(props);
        assertEquals(texts.size(), rows.size());
        for (Row row : rows) {
            Annotation expected = new Annotation(texts.get(row.getInt(0)));
            annotator.annotate(expected);
            List<CoreMap> expectedSentences = expected.get(CoreAnnotations.SentencesAnnotation.class);
            List<Row> sentences = row.getList(row.fieldIndex("sentences"));
            assertEquals(expectedSentences.size(), sentences.size());
            for (int s = 0; s < sentences.size(); s++) {
                CoreMap e = expectedSentences.get(s);
                Row actual = sentences.get(s);
                assertEquals((int) e.get(CoreAnnotations.CharacterOffsetBeginAnnotation.class),
                        actual.getInt(actual.fieldIndex("begin")));
                assertEquals((int) e.get(CoreAnnotations.CharacterOffsetEndAnnotation.class),
                        actual.getInt(actual.fieldIndex("end")));
                assertEquals((int) e.get(LazyLmAnnotations.SentencePieceCount.class),
                        actual.getInt(actual.fieldIndex("pieces")));
                assertEquals(e.get(LazyLmAnnotations.SentenceLogProbability.class),
                        actual.getDouble(actual.fieldIndex("logProb")), 1e-4);
            }
        }
    }
}

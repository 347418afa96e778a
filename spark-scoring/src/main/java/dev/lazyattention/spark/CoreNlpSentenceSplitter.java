package dev.lazyattention.spark;

import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.util.CoreMap;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Sentences of CoreNLP's {@code tokenize,ssplit}, the pipeline the {@code lazylm} annotator runs in: a sentence
 * spans its first token's begin to its last token's end, as in the annotator, so sentence scores equal the
 * annotator's in sentence scope. One pipeline per JVM (it is thread-safe and takes a while to build).
 *
 * <p>CoreNLP is GPL-3.0 and an optional dependency of this module: this class is only loaded when asked for.
 */
final class CoreNlpSentenceSplitter implements SentenceSplitter {

    private static final String PIPELINE_CLASS = "edu.stanford.nlp.pipeline.StanfordCoreNLP";

    /** Built on first use, so that JVMs that never split with CoreNLP never load it. */
    private static final class Pipeline {
        static final StanfordCoreNLP INSTANCE = build();

        private static StanfordCoreNLP build() {
            Properties props = new Properties();
            props.setProperty("annotators", "tokenize,ssplit");
            return new StanfordCoreNLP(props);
        }
    }

    private CoreNlpSentenceSplitter() {}

    /** @throws IllegalStateException if CoreNLP is not on the class path */
    static CoreNlpSentenceSplitter create() {
        requireOnClassPath();
        return new CoreNlpSentenceSplitter();
    }

    /** @throws IllegalStateException if CoreNLP is not on the class path, with what to do about it */
    static void requireOnClassPath() {
        try {
            Class.forName(PIPELINE_CLASS, false, CoreNlpSentenceSplitter.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the corenlp sentence splitter needs corenlp-annotator and "
                    + "stanford-corenlp on the class path (GPL-3.0; add them to --jars), or use the jdk splitter", e);
        }
    }

    @Override
    public List<TextSpan> split(String document) {
        Annotation annotation = new Annotation(document);
        Pipeline.INSTANCE.annotate(annotation);
        List<TextSpan> sentences = new ArrayList<>();
        List<CoreMap> found = annotation.get(CoreAnnotations.SentencesAnnotation.class);
        for (CoreMap sentence : found == null ? List.<CoreMap>of() : found) {
            List<CoreLabel> tokens = sentence.get(CoreAnnotations.TokensAnnotation.class);
            if (tokens != null && !tokens.isEmpty()) {
                int begin = tokens.get(0).beginPosition();
                int end = tokens.get(tokens.size() - 1).endPosition();
                if (begin < end) {
                    sentences.add(new TextSpan(begin, end));
                }
            }
        }
        return sentences;
    }
}

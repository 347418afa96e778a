package dev.lazyattention.opennlp;

import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.train.TrainConfig;
import dev.lazyattention.train.TrainedModel;
import dev.lazyattention.train.TrainingRecipe;
import opennlp.tools.util.ObjectStream;
import opennlp.tools.util.TrainingParameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Training from an OpenNLP {@link ObjectStream} of documents with the {@link TrainingRecipe}: a byte-level
 * BPE tokenizer trained on the documents, then a fresh model on their tokens (each document preceded by
 * {@code <|endoftext|>}). The result is the model in memory; the trainer's files go to {@code
 * lazylm.outputDir}.
 */
final class DocumentTrainer {

    private DocumentTrainer() {}

    static LazyAttentionModel train(String language, ObjectStream<String> documents, TrainingParameters params)
            throws IOException {
        if (language == null || language.isBlank()) {
            throw new IllegalArgumentException("language must be given: a language code such as en, or und");
        }
        if (documents == null) {
            throw new IllegalArgumentException("documents must not be null");
        }
        OpenNlpTrainingParameters settings = OpenNlpTrainingParameters.from(params);
        TrainConfig recipe = settings.recipeSettings().with(TrainConfig.LANGUAGE, language.trim());
        TextCorpus corpus = TextCorpus.of(read(documents), "training documents");
        boolean temporary = settings.outputDir() == null;
        Path out = temporary ? Files.createTempDirectory("lazylm-opennlp-train-") : settings.outputDir();
        LazyAttentionModel model;
        try (TrainedModel trained = TrainingRecipe.of(recipe).train(corpus, null, out)) {
            LazyLanguageModel lm = trained.release();
            try {
                model = new LazyAttentionModel(lm);
            } catch (IOException | RuntimeException e) {
                lm.close();
                throw e;
            }
        }
        if (temporary) {
            // The model is in memory; a failed run keeps the folder and its last checkpoint instead.
            deleteFolder(out);
        }
        return model;
    }

    private static List<String> read(ObjectStream<String> documents) throws IOException {
        List<String> all = new ArrayList<>();
        String document;
        while ((document = documents.read()) != null) {
            all.add(document);
        }
        return all;
    }

    private static void deleteFolder(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

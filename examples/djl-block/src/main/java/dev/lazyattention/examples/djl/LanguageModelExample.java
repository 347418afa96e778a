package dev.lazyattention.examples.djl;

import static dev.lazyattention.train.TrainConfig.BATCH_SIZE;
import static dev.lazyattention.train.TrainConfig.GRAD_ACCUM;
import static dev.lazyattention.train.TrainConfig.PRESET;
import static dev.lazyattention.train.TrainConfig.PROGRESS;
import static dev.lazyattention.train.TrainConfig.STEPS;

import ai.djl.inference.Predictor;
import ai.djl.modality.nlp.generate.CausalLMOutput;
import ai.djl.modality.nlp.generate.SearchConfig;
import ai.djl.modality.nlp.generate.TextGenerator;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.eval.CorpusEvaluator;
import dev.lazyattention.eval.EvalResult;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.generate.GenerationOptions;
import dev.lazyattention.generate.Generator;
import dev.lazyattention.generate.ArrayDecodingPredictor;
import dev.lazyattention.serving.LazyLmCriteria;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.train.TrainedModel;
import dev.lazyattention.train.TrainingRecipe;
import dev.lazyattention.train.TrainConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A language model from Java: the training recipe (a byte-level BPE tokenizer, then a model of the {@code
 * tiny} preset, then training) on the paragraphs in {@code corpus.txt}, evaluation on held-out paragraphs,
 * generation, and the saved model file loaded back through DJL's {@code Criteria}.
 */
public final class LanguageModelExample {

    static final String[] SENTENCES = {
        "The boats come back to the harbour in the evening.",
        "Evening the in harbour the to back come boats the.",
    };

    private LanguageModelExample() {}

    public static void run(Path workDir) throws Exception {
        List<String> paragraphs = paragraphs("/corpus.txt");  // TextCorpus.read(files) reads text files instead
        int n = paragraphs.size();
        TextCorpus corpus = TextCorpus.of(paragraphs.subList(0, n - 2), "corpus.txt");
        TextCorpus valid = TextCorpus.of(paragraphs.subList(n - 2, n), "held out");

        Path modelFile = workDir.resolve("example.lazylm.zip");
        if (!Files.exists(modelFile)) {
            Path run = workDir.resolve("lm-run");      // checkpoints and metrics; a new run needs an empty folder
            deleteTree(run);
            TrainConfig settings = TrainConfig.builder()
                    .set(PRESET, "tiny").set(STEPS, 150)    // "small" and 1000 steps for a useful model (6.9 M parameters)
                    .set(BATCH_SIZE, 8).set(GRAD_ACCUM, 1).set(PROGRESS, false).build();
            try (TrainedModel trained = TrainingRecipe.of(settings).train(corpus, valid, run)) {  // BPE, model, training
                trained.model().save(modelFile);
                System.out.printf(Locale.ROOT, "trained %d steps in %.1f s: training loss %.3f, validation loss %.3f%n",
                        trained.result().steps(), trained.result().wallSeconds(), trained.result().trainLoss(),
                        trained.result().validLoss());
            }
        }
        System.out.println("model file: " + modelFile);

        try (LazyLanguageModel lm = LazyLanguageModel.load(modelFile)) {
            System.out.println(lm.config() + ", " + lm.parameterCount() + " parameters");
            ScoringOptions options = ScoringOptions.defaults(lm.config().contextLength()).withAttentionStats(true);
            EvalResult r = new CorpusEvaluator(lm, options).evaluate(valid);
            System.out.printf(Locale.ROOT, "held out: perplexity %.2f, bits per byte %.3f, sparsity %.1f%%, sink mass %.4f%n",
                    r.perplexity(), r.bitsPerByte(), 100 * r.attention().sparsity(), r.attention().sinkMass());
            String prompt = "The boats";
            GenerationOptions sampling = GenerationOptions.sampling(24, 0.8, 40, 0.95, 7);  // tokens, temperature, top-k, top-p, seed
            System.out.println("generated after \"" + prompt + "\": " + new Generator(lm).generate(prompt, sampling).text());

            SequenceScorer scorer = new SequenceScorer(lm, ScoringOptions.defaults(lm.config().contextLength()));
            for (String sentence : SENTENCES) {
                int[] tokens = lm.tokenizer().afterEndOfText(lm.tokenizer().encode(sentence));
                double logP = scorer.score(new ScoringRequest(tokens, 1)).logProbability();
                System.out.printf(Locale.ROOT, "SequenceScorer:  ln P = %8.3f  %s%n", logP, sentence);
            }
        }

        Criteria<String, Float> criteria = LazyLmCriteria.builder(modelFile)
                .setTypes(String.class, Float.class)   // text in, natural-log probability out
                .build();
        try (ZooModel<String, Float> model = criteria.loadModel();
                Predictor<String, Float> predictor = model.newPredictor()) {
            for (String sentence : SENTENCES) {
                float logP = predictor.predict(sentence);
                System.out.printf(Locale.ROOT, "DJL Criteria:    ln P = %8.3f  %s%n", logP, sentence);
            }
        }

        // DJL's own TextGenerator; ArrayDecodingPredictor runs its one-token steps on plain arrays.
        Criteria<NDList, CausalLMOutput> steps = LazyLmCriteria.builder(modelFile)
                .setTypes(NDList.class, CausalLMOutput.class)
                .build();
        try (ZooModel<NDList, CausalLMOutput> model = steps.loadModel();
                Predictor<NDList, CausalLMOutput> predictor = ArrayDecodingPredictor.of(model);
                LazyLanguageModel lm = LazyLanguageModel.load(modelFile);
                NDManager manager = NDManager.newBaseManager()) {
            long[] prompt = Arrays.stream(lm.tokenizer().afterEndOfText(lm.tokenizer().encode("The boats")))
                    .asLongStream().toArray();
            SearchConfig config = new SearchConfig();
            config.setMaxSeqLength(prompt.length + 16);  // 16 new tokens
            config.setPadTokenId(-1);                      // no padding in one prompt
            NDArray ids = manager.create(prompt, new Shape(1, prompt.length));
            long[] out = new TextGenerator(predictor, "greedy", config).greedySearch(ids).toLongArray();
            int[] generated = Arrays.stream(out, prompt.length, out.length).mapToInt(Math::toIntExact).toArray();
            System.out.println("TextGenerator, greedy, after \"The boats\": " + lm.tokenizer().decode(generated));
        }
    }

    /** The paragraphs of a text resource (separated by blank lines). */
    static List<String> paragraphs(String resource) throws IOException {
        try (InputStream in = LanguageModelExample.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource not found: " + resource);
            }
            List<String> out = new ArrayList<>();
            for (String p : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\R\\s*\\R")) {
                if (!p.isBlank()) {
                    out.add(p.strip());
                }
            }
            return out;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}

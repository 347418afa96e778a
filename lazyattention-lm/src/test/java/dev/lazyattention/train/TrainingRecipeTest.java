package dev.lazyattention.train;

import static dev.lazyattention.train.TrainConfig.BATCH_SIZE;
import static dev.lazyattention.train.TrainConfig.GRAD_ACCUM;
import static dev.lazyattention.train.TrainConfig.LEARNING_RATE;
import static dev.lazyattention.train.TrainConfig.PROGRESS;
import static dev.lazyattention.train.TrainConfig.SEED;
import static dev.lazyattention.train.TrainConfig.STEPS;
import static dev.lazyattention.train.TrainConfig.WARMUP_STEPS;
import static dev.lazyattention.train.TrainConfig.WEIGHT_DECAY;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.lazyattention.data.TextCorpus;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelFileFormat;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.testing.TinyModels;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.BpeTrainer;
import dev.lazyattention.tokenizer.TokenizerJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recipe trains exactly what the chain of tokenizer, config, model and trainer it replaces trains. */
class TrainingRecipeTest {

    @TempDir
    Path dir;

    @Test
    void theRecipeTrainsTheModelTheHandWrittenChainTrains() throws IOException {
        TextCorpus corpus = TinyModels.trainCorpus();
        TextCorpus valid = TinyModels.validCorpus();
        TrainResult byRecipe;
        byte[] recipeWeights;
        try (TrainedModel trained = TrainingRecipe.of(TinyModels.recipeSettings(3)).train(corpus, valid, dir.resolve("a"))) {
            byRecipe = trained.result();
            recipeWeights = ModelFile.read(byRecipe.model()).get(ModelFileFormat.PARAMETERS);
            assertEquals(32, trained.model().config().contextLength());
            assertTrue(trained.model().config().startToken(), "the start token is recorded in the model's config");
        }

        // The same run spelt out: a 300-token BPE, the tiny preset at context 32 with the start token, seed 11,
        // the options given.
        BpeTokenizer tokenizer = new BpeTrainer(300).train(corpus.documents());
        LmConfig config = LmConfig.preset("tiny").with(LmConfig.VOCAB_SIZE, tokenizer.vocabSize())
                .with(LmConfig.CONTEXT_LENGTH, 32)
                .with(LmConfig.BIAS_LENGTH, 32).with(LmConfig.START_TOKEN, true);
        TrainConfig options = TrainConfig.builder().set(STEPS, 3).set(BATCH_SIZE, 4).set(GRAD_ACCUM, 2)
                .set(LEARNING_RATE, 0.003f).set(WARMUP_STEPS, 1).set(WEIGHT_DECAY, 0.05f).set(SEED, 11L)
                .set(PROGRESS, false)
                .build();
        TrainResult byHand;
        try (LazyLanguageModel lm = LazyLanguageModel.create(config, tokenizer, Device.cpu(), 11)) {
            byHand = new LmTrainer(options, dir.resolve("b")).train(lm, corpus.tokens(tokenizer), valid.tokens(tokenizer));
        }
        assertEquals(byHand.trainLoss(), byRecipe.trainLoss(), 0.0);
        assertEquals(byHand.validLoss(), byRecipe.validLoss(), 0.0);
        assertArrayEquals(ModelFile.read(byHand.model()).get(ModelFileFormat.PARAMETERS), recipeWeights);
        assertEquals(tokenizer.vocabSize(), TokenizerJson.load(dir.resolve("a").resolve(TrainingRecipe.TOKENIZER_FILE))
                .vocabSize(), "the tokenizer is saved next to the model");
    }

    @Test
    void anOccupiedFolderIsRefusedBeforeTheTokenizerIsTrained() throws IOException {
        Path taken = dir.resolve("taken");
        Files.createDirectories(taken);
        Files.writeString(taken.resolve(LmTrainer.MODEL_FILE), "precious");
        AtomicInteger tokenizers = new AtomicInteger();
        TrainingRecipe recipe = TrainingRecipe.builder().setSettings(TinyModels.recipeSettings(2))
                .optListener(new TrainingRecipe.Listener() {
                    @Override
                    public void tokenizerTrained(BpeTokenizer tokenizer, double seconds) {
                        tokenizers.incrementAndGet();
                    }
                }).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> recipe.train(TinyModels.trainCorpus(), null, taken));
        assertTrue(e.getMessage().contains("already holds " + LmTrainer.MODEL_FILE), e.getMessage());
        assertEquals(0, tokenizers.get());
        assertEquals("precious", Files.readString(taken.resolve(LmTrainer.MODEL_FILE)));
    }

    @Test
    void resumeKeepsTheCheckpointsHorizonUnlessMoreStepsAreAsked() throws IOException {
        Path out = dir.resolve("run");
        TrainConfig three = TinyModels.recipeSettings(3);
        TrainingRecipe.of(three).train(TinyModels.trainCorpus(), null, out).close();
        assertEquals(TrainResult.Outcome.ALREADY_FINISHED,
                TrainingRecipe.of(three).resume(out, null, TinyModels.trainCorpus(), null).outcome());
        AtomicInteger resumedAt = new AtomicInteger(-1);
        TrainResult five = TrainingRecipe.builder().setSettings(TinyModels.recipeSettings(5))
                .optListener(new TrainingRecipe.Listener() {
                    @Override
                    public void resuming(int step, int steps, Path checkpoint) {
                        resumedAt.set(step);
                    }
                }).build().resume(out, 5, TinyModels.trainCorpus(), null);
        assertEquals(3, resumedAt.get());
        assertEquals(TrainResult.Outcome.TRAINED, five.outcome());
        assertEquals(5, five.steps());
        // Fewer steps than the checkpoint's horizon cannot shorten it: the run is finished.
        assertEquals(TrainResult.Outcome.ALREADY_FINISHED,
                TrainingRecipe.of(TinyModels.recipeSettings(4)).resume(out, 4, TinyModels.trainCorpus(), null).outcome());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> TrainingRecipe.of(three).resume(dir.resolve("nothing"), 3, TinyModels.trainCorpus(), null));
        assertTrue(none.getMessage().contains("does not exist"), none.getMessage());
    }

    @Test
    void theTrainedModelBelongsToTheResultUntilReleased() throws IOException {
        TrainingRecipe recipe = TrainingRecipe.builder().setSettings(TinyModels.recipeSettings(1))
                .optTokenizer(TinyModels.tokenizer()).build();
        LazyLanguageModel model;
        try (TrainedModel trained = recipe.train(TinyModels.trainCorpus(), null, dir.resolve("one"))) {
            model = trained.model();
            assertEquals(TinyModels.tokenizer().vocabSize(), model.tokenizer().vocabSize(), "the given tokenizer");
        }
        assertTrue(model.isClosed());
        LazyLanguageModel kept;
        try (TrainedModel trained = recipe.train(TinyModels.trainCorpus(), null, dir.resolve("two"))) {
            kept = trained.release();
        }
        assertFalse(kept.isClosed());
        kept.close();
    }
}

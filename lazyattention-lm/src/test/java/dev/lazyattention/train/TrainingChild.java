package dev.lazyattention.train;

import static dev.lazyattention.train.TrainConfig.CHECKPOINT_EVERY;

import ai.djl.Device;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.testing.TinyModels;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A training run in its own JVM, for tests that kill it or starve it: {@code train DIR STEPS} trains (or
 * resumes, when DIR holds a checkpoint) a tiny model with a checkpoint after every step; {@code save FILE}
 * writes a tiny model file. Exit code 0 on success, 3 with the message on standard error otherwise.
 */
public final class TrainingChild {

    private TrainingChild() {}

    public static void main(String[] args) throws Exception {
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        try {
            if (args[0].equals("save")) {
                try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 4)) {
                    lm.save(Path.of(args[1]));
                }
                return;
            }
            Path dir = Path.of(args[1]);
            int steps = Integer.parseInt(args[2]);
            TrainConfig options = TinyModels.quickOptions(steps).set(CHECKPOINT_EVERY, 1).build();
            Path checkpoint = dir.resolve(LmTrainer.CHECKPOINT_FILE);
            if (Files.exists(checkpoint)) {
                try (Checkpoint cp = Checkpoint.load(checkpoint, Device.cpu())) {
                    LazyLanguageModel lm = cp.model();
                    new LmTrainer(options, dir).resume(cp, TinyModels.trainCorpus().tokens(lm.tokenizer()), null);
                }
            } else {
                try (LazyLanguageModel lm = TinyModels.fresh(AttentionVariant.LAZY, 4)) {
                    new LmTrainer(options, dir).train(lm, TinyModels.trainCorpus().tokens(lm.tokenizer()), null);
                }
            }
        } catch (Exception | Error e) {
            System.err.println("TrainingChild: " + e);
            System.exit(3);
        }
    }
}

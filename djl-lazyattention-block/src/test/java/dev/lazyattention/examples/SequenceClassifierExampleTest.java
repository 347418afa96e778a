package dev.lazyattention.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.modality.nlp.DefaultVocabulary;
import ai.djl.modality.nlp.embedding.TrainableWordEmbedding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.attention.LazyAttentionBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A user's own DJL network around the block (the README example): embedding, one LazyAttentionBlock,
 * mean pooling, Linear. The task: does the sequence contain token 7 right after token 3? Switching to
 * standard attention is the one word {@code SOFTMAX}.
 */
class SequenceClassifierExampleTest {

    private static final int VOCAB = 12;
    private static final int LENGTH = 10;

    @ParameterizedTest
    @EnumSource(value = AttentionVariant.class, names = {"LAZY", "SOFTMAX", "OFF_BY_ONE", "GATED", "LEARNED_SINK"})
    void lossFallsWhenTrainedWithDjlTrainer(AttentionVariant variant) throws Exception {
        Engine.getInstance().setRandomSeed(42);
        List<String> tokens = new ArrayList<>();
        IntStream.range(0, VOCAB).forEach(i -> tokens.add(Integer.toString(i)));

        SequentialBlock net = new SequentialBlock()
                .add(new TrainableWordEmbedding(new DefaultVocabulary(tokens), 32))
                .add(LazyAttentionBlock.builder()
                        .setHiddenSize(32)
                        .setNumHeads(4)
                        .optVariant(variant) // AttentionVariant.SOFTMAX for standard attention
                        .build())
                .add(x -> new NDList(x.head().mean(new int[] {1}))) // [B, T, C] -> [B, C]
                .add(Linear.builder().setUnits(2).build());

        try (Model model = Model.newInstance("classifier");
                NDManager manager = NDManager.newBaseManager()) {
            model.setBlock(net);
            ArrayDataset data = syntheticData(manager, 512, new Random(1));
            ArrayDataset heldOut = syntheticData(manager, 128, new Random(2));
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(3e-3f)).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(32, LENGTH));
                float before = heldOutLoss(trainer, heldOut);
                for (int epoch = 0; epoch < 6; epoch++) {
                    trainEpoch(trainer, data);
                }
                float after = heldOutLoss(trainer, heldOut);
                assertTrue(after < 0.6f * before, variant + ": held-out loss went from " + before + " to " + after);
            }
        }
    }

    private static void trainEpoch(Trainer trainer, ArrayDataset data) throws Exception {
        for (Batch batch : trainer.iterateDataset(data)) {
            try (batch) {
                EasyTrain.trainBatch(trainer, batch);
                trainer.step();
            }
        }
    }

    /** Mean cross-entropy over held-out data. */
    private static float heldOutLoss(Trainer trainer, ArrayDataset data) throws Exception {
        float sum = 0;
        int batches = 0;
        for (Batch batch : trainer.iterateDataset(data)) {
            try (batch) {
                NDList predictions = trainer.evaluate(batch.getData());
                sum += trainer.getLoss().evaluate(batch.getLabels(), predictions).getFloat();
                batches++;
            }
        }
        return sum / batches;
    }

    private static ArrayDataset syntheticData(NDManager manager, int n, Random random) {
        int[] ids = new int[n * LENGTH];
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) {
            boolean positive = random.nextBoolean();
            for (int t = 0; t < LENGTH; t++) {
                int id;
                do {
                    id = random.nextInt(VOCAB);
                } while (t > 0 && ids[i * LENGTH + t - 1] == 3 && id == 7);
                ids[i * LENGTH + t] = id;
            }
            if (positive) {
                int at = random.nextInt(LENGTH - 1);
                ids[i * LENGTH + at] = 3;
                ids[i * LENGTH + at + 1] = 7;
            }
            labels[i] = positive ? 1 : 0;
        }
        NDArray x = manager.create(ids, new Shape(n, LENGTH));
        NDArray y = manager.create(labels);
        return new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(32, true).build();
    }
}

package dev.lazyattention.examples.djl;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.modality.nlp.DefaultVocabulary;
import ai.djl.modality.nlp.embedding.TrainableWordEmbedding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
import ai.djl.translate.TranslateException;
import dev.lazyattention.attention.AttentionVariant;
import dev.lazyattention.attention.LazyAttentionBlock;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Your own DJL network around {@link LazyAttentionBlock}: word embedding, one Lazy Attention layer, mean
 * pooling, a linear layer, trained with DJL's {@link Trainer}. The task: does the sequence hold token 7 right
 * after token 3? Attention has to relate neighbouring positions to solve it.
 */
public final class SequenceClassifier {

    private static final int VOCAB = 12;
    private static final int LENGTH = 10;
    private static final int EPOCHS = 6;

    private SequenceClassifier() {}

    public static void run() throws IOException, TranslateException {
        Engine.getInstance().setRandomSeed(42);
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < VOCAB; i++) {
            tokens.add(Integer.toString(i));
        }

        SequentialBlock net = new SequentialBlock()
                .add(new TrainableWordEmbedding(new DefaultVocabulary(tokens), 32))
                .add(LazyAttentionBlock.builder()
                        .setHiddenSize(32)
                        .setNumHeads(4)
                        .optVariant(AttentionVariant.LAZY)      // SOFTMAX for standard RoPE attention
                        .build())
                .add(x -> new NDList(x.head().mean(new int[] {1})))  // [B, T, C] -> [B, C]
                .add(Linear.builder().setUnits(2).build());

        try (Model model = Model.newInstance("classifier");
                NDManager manager = NDManager.newBaseManager()) {
            model.setBlock(net);
            ArrayDataset train = syntheticData(manager, 512, new Random(1));
            ArrayDataset heldOut = syntheticData(manager, 128, new Random(2));
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(3e-3f)).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(32, LENGTH));    // [batch, tokens]
                report(trainer, heldOut, "before training");
                for (int epoch = 1; epoch <= EPOCHS; epoch++) {
                    for (Batch batch : trainer.iterateDataset(train)) {
                        try (batch) {
                            EasyTrain.trainBatch(trainer, batch);
                            trainer.step();
                        }
                    }
                    report(trainer, heldOut, "after epoch " + epoch);
                }
            }
        }
    }

    /** Held-out cross-entropy and accuracy. */
    private static void report(Trainer trainer, ArrayDataset data, String when) throws IOException, TranslateException {
        double loss = 0;
        int batches = 0;
        int correct = 0;
        int total = 0;
        for (Batch batch : trainer.iterateDataset(data)) {
            try (batch) {
                NDList predictions = trainer.evaluate(batch.getData());
                loss += trainer.getLoss().evaluate(batch.getLabels(), predictions).getFloat();
                batches++;
                NDArray predicted = predictions.head().argMax(1).toType(DataType.FLOAT32, false);
                correct += (int) predicted.eq(batch.getLabels().head()).sum().getLong();
                total += (int) predicted.size();
            }
        }
        System.out.printf(Locale.ROOT, "classifier %-15s held-out loss %.4f, accuracy %5.1f%%%n", when,
                loss / batches, 100.0 * correct / total);
    }

    /** Random sequences of token ids; half of them get a 3 followed by a 7 somewhere (label 1). */
    private static ArrayDataset syntheticData(NDManager manager, int n, Random random) {
        int[] ids = new int[n * LENGTH];
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < LENGTH; t++) {
                int id;
                do {
                    id = random.nextInt(VOCAB);
                } while (t > 0 && ids[i * LENGTH + t - 1] == 3 && id == 7);
                ids[i * LENGTH + t] = id;
            }
            boolean positive = random.nextBoolean();
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

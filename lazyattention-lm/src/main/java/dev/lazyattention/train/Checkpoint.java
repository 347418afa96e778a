package dev.lazyattention.train;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.modelfile.ModelEntries;
import dev.lazyattention.modelfile.ModelFile;
import dev.lazyattention.modelfile.ModelFileException;
import dev.lazyattention.modelfile.ModelFileFormat;
import dev.lazyattention.lm.LazyLanguageModel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training checkpoint: an ordinary model file (loadable anywhere a model is) plus the step reached and
 * the optimizer's moments, so that training can resume exactly. Written atomically.
 *
 * <p>A loaded checkpoint owns its model: close the checkpoint (not {@link #model()}) when done with both.
 */
public final class Checkpoint implements AutoCloseable {

    private final LazyLanguageModel model;
    private final int step;
    private final long seed;
    private final double elapsedSeconds;
    private final byte[] optimizerState;
    private final TrainConfig options;

    private Checkpoint(LazyLanguageModel model, int step, long seed, double elapsedSeconds, byte[] optimizerState,
            TrainConfig options) {
        this.model = model;
        this.step = step;
        this.seed = seed;
        this.elapsedSeconds = elapsedSeconds;
        this.optimizerState = optimizerState;
        this.options = options;
    }

    static void write(Path file, LazyLanguageModel model, int step, TrainConfig options, double elapsedSeconds,
            ResumableAdamW optimizer) throws IOException {
        JsonObject state = new JsonObject();
        state.addProperty("format", 1);
        state.addProperty("step", step);
        state.addProperty("seed", options.seed());
        state.addProperty("elapsedSeconds", elapsedSeconds);
        // Without the device: a resumed run trains where it is resumed.
        state.add("options", JsonParser.parseString(options.with(TrainConfig.DEVICE, null).toJson()));
        byte[] moments;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            moments = optimizer.exportState(manager).encode();
        }
        Map<String, byte[]> extra = new LinkedHashMap<>();
        extra.put(ModelFileFormat.TRAINING_STATE, state.toString().getBytes(StandardCharsets.UTF_8));
        extra.put(ModelFileFormat.OPTIMIZER_STATE, moments);
        model.save(file, extra);
    }

    /** Loads a checkpoint written by training; the model goes to {@code device}. */
    public static Checkpoint load(Path file, Device device) throws IOException {
        ModelEntries entries = ModelFile.read(file);
        String stateJson = entries.text(ModelFileFormat.TRAINING_STATE);
        byte[] moments = entries.get(ModelFileFormat.OPTIMIZER_STATE);
        if (stateJson == null || moments == null) {
            throw new ModelFileException(file.toString(), ModelFileFormat.TRAINING_STATE,
                    "missing: this is a finished model, not a training checkpoint");
        }
        int step;
        long seed;
        double elapsed;
        TrainConfig options;
        try {
            JsonObject state = JsonParser.parseString(stateJson).getAsJsonObject();
            step = state.get("step").getAsInt();
            seed = state.get("seed").getAsLong();
            elapsed = state.get("elapsedSeconds").getAsDouble();
            options = TrainConfig.fromJson(state.get("options").toString());
        } catch (RuntimeException e) {
            throw new ModelFileException(file.toString(), ModelFileFormat.TRAINING_STATE, "unreadable: " + e, e);
        }
        LazyLanguageModel model = LazyLanguageModel.fromEntries(entries, file.toString(), device);
        return new Checkpoint(model, step, seed, elapsed, moments, options);
    }

    /** The checkpoint's model; it belongs to this checkpoint, which closes it. */
    public LazyLanguageModel model() {
        return model;
    }

    /** Optimizer steps completed when the checkpoint was written. */
    public int step() {
        return step;
    }

    public long seed() {
        return seed;
    }

    /** The options the run was started with. */
    public TrainConfig options() {
        return options;
    }

    public double elapsedSeconds() {
        return elapsedSeconds;
    }

    /** Restores the optimizer's moments. */
    void restore(ResumableAdamW optimizer, NDManager manager) {
        optimizer.importState(NDList.decode(manager, optimizerState), model.device());
    }

    /** Closes the model. */
    @Override
    public void close() {
        model.close();
    }

}

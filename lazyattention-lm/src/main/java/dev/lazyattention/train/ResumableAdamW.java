package dev.lazyattention.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * AdamW whose moments can be saved in a checkpoint and restored, so that a resumed run continues exactly
 * where it stopped. DJL's own {@code AdamW} keeps its moments private; this class uses the same fused
 * engine update ({@code adamUpdate} with decoupled weight decay) and owns its state.
 *
 * <p>Also: weight decay per parameter (matrices only, chosen by a predicate on the parameter name), the
 * learning rate taken from a {@link Tracker} at an explicit step number, and a per-step gradient scale
 * through which the trainer applies global-norm clipping and gradient accumulation.
 */
public final class ResumableAdamW extends Optimizer {

    private final Tracker learningRate;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float weightDecay;
    private final Map<String, String> names;
    private final Predicate<String> decayed;

    private final Map<String, NDArray> means = new HashMap<>();
    private final Map<String, NDArray> variances = new HashMap<>();
    private int step = 1;
    private float gradientScale = 1f;

    /**
     * @param names DJL parameter id to stable parameter name (ids change from run to run, names do not)
     * @param decayed which parameter names get weight decay
     */
    public ResumableAdamW(Tracker learningRate, float beta1, float beta2, float epsilon, float weightDecay,
            Map<String, String> names, Predicate<String> decayed) {
        super(Optimizer.adamW());
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.names = Map.copyOf(names);
        this.decayed = decayed;
    }

    /** The 1-based number of the update the next {@code Trainer.step()} performs. */
    public void setStep(int step) {
        this.step = step;
    }

    /** Multiplies the gradients of the next update (clipping and accumulation). */
    public void setGradientScale(float gradientScale) {
        this.gradientScale = gradientScale;
    }

    /** Learning rate of the update numbered {@code step} (1-based). */
    public float learningRate(int step) {
        return learningRate.getNewValue(step - 1);
    }

    /** {@inheritDoc} */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        String name = names.get(parameterId);
        if (name == null) {
            throw new IllegalStateException("parameter " + parameterId + " is unknown to the optimizer");
        }
        float lr = learningRate(step);
        double correction1 = 1.0 - Math.pow(beta1, step);
        double correction2 = 1.0 - Math.pow(beta2, step);
        float lrCorrected = (float) (lr * Math.sqrt(correction2) / correction1);
        NDArray mean = means.computeIfAbsent(name, k -> state(weight));
        NDArray variance = variances.computeIfAbsent(name, k -> state(weight));
        weight.getNDArrayInternal().adamUpdate(
                new NDList(weight, grad, mean, variance), new NDList(weight), lr, lrCorrected,
                decayed.test(name) ? weightDecay : 0f, gradientScale, -1f, beta1, beta2, epsilon, true, true);
    }

    private static NDArray state(NDArray weight) {
        NDArray s = weight.zerosLike();
        s.detach(); // lives as long as the optimizer, not as the batch that created it
        return s;
    }

    /** The moments as named arrays ({@code m:<name>}, {@code v:<name>}), for a checkpoint. */
    public NDList exportState(NDManager manager) {
        NDList list = new NDList();
        for (Map.Entry<String, NDArray> e : means.entrySet()) {
            list.add(named(manager, "m:" + e.getKey(), e.getValue()));
            list.add(named(manager, "v:" + e.getKey(), variances.get(e.getKey())));
        }
        return list;
    }

    private static NDArray named(NDManager manager, String name, NDArray value) {
        NDArray copy = value.toDevice(Device.cpu(), true);
        copy.attach(manager);
        copy.setName(name);
        return copy;
    }

    /** Restores moments saved by {@link #exportState}; parameters absent from the list start at 0. */
    public void importState(NDList state, Device device) {
        for (NDArray a : state) {
            String name = a.getName();
            NDArray value = a.toDevice(device, true);
            value.detach();
            if (name.startsWith("m:")) {
                means.put(name.substring(2), value);
            } else if (name.startsWith("v:")) {
                variances.put(name.substring(2), value);
            } else {
                throw new IllegalArgumentException("optimizer state entry '" + name + "' is neither m: nor v:");
            }
        }
    }

    /** Frees the moments. */
    public void close() {
        means.values().forEach(NDArray::close);
        variances.values().forEach(NDArray::close);
        means.clear();
        variances.clear();
    }
}

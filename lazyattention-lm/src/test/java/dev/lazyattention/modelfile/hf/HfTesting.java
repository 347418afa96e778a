package dev.lazyattention.modelfile.hf;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.testing.TinyModels;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Models with every parameter set to values no initialiser gives (tau off -1, gains off 1), for round trips. */
final class HfTesting {

    private HfTesting() {}

    /** A tiny model of {@code config} whose parameters are random: weights ~ N(0, 0.08), tau in [-0.6, 0.1). */
    static LazyLanguageModel randomised(LmConfig config, long seed) {
        LazyLanguageModel lm = LazyLanguageModel.create(config, TinyModels.tokenizer(), Device.cpu(), seed);
        Random random = new Random(seed);
        for (Pair<String, Parameter> p : lm.block().getParameters()) {
            NDArray array = p.getValue().getArray();
            float[] values = new float[Math.toIntExact(array.size())];
            String name = p.getKey();
            for (int i = 0; i < values.length; i++) {
                if (name.endsWith("_sinks")) {
                    values[i] = -1.5f + 3f * random.nextFloat();
                } else if (name.endsWith("_tau")) {
                    values[i] = -0.6f + 0.7f * random.nextFloat();
                } else if (name.endsWith("_gain")) {
                    values[i] = 1f + 0.2f * (float) random.nextGaussian();
                } else if (name.endsWith("distance_bias")) {
                    values[i] = 0.3f * (float) random.nextGaussian();
                } else {
                    values[i] = 0.08f * (float) random.nextGaussian();
                }
            }
            array.set(FloatBuffer.wrap(values));
        }
        return lm;
    }

    /** Every parameter's values by DJL name. */
    static Map<String, float[]> parameters(LazyLanguageModel lm) {
        Map<String, float[]> out = new LinkedHashMap<>();
        TensorNames.parameters(lm.block()).forEach((name, p) -> out.put(name, p.getArray().toFloatArray()));
        return out;
    }

    /** {@code config} with the settings a llama folder does not carry at their defaults. */
    static LmConfig withoutLazySettings(LmConfig config) {
        LmConfig d = LmConfig.preset("tiny");
        return config.with(LmConfig.BIAS_LENGTH, config.contextLength()).with(LmConfig.TAU_INIT, d.tauInit())
                .with(LmConfig.BIAS_INIT_STD, d.biasInitStd());
    }
}

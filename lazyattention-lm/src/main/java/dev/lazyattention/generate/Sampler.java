package dev.lazyattention.generate;

import java.util.Arrays;
import java.util.Random;

/** Picks the next token from logits: argmax, or temperature with top-k and top-p filtering. */
final class Sampler {

    private final GenerationOptions options;
    private final Random random;

    Sampler(GenerationOptions options) {
        this.options = options;
        this.random = new Random(options.seed());
    }

    int next(float[] logits) {
        if (options.temperature() == 0) {
            return argmax(logits);
        }
        int v = logits.length;
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = options.topK() > 0 ? Math.min(options.topK(), v) : v;
        double max = logits[order[0]] / options.temperature();
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp(logits[order[i]] / options.temperature() - max);
            sum += p[i];
        }
        // Nucleus: the smallest prefix of the sorted tokens whose mass reaches topP.
        double cumulative = 0;
        int nucleus = keep;
        for (int i = 0; i < keep; i++) {
            cumulative += p[i] / sum;
            if (cumulative >= options.topP()) {
                nucleus = i + 1;
                break;
            }
        }
        double total = 0;
        for (int i = 0; i < nucleus; i++) {
            total += p[i];
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < nucleus; i++) {
            u -= p[i];
            if (u <= 0) {
                return order[i];
            }
        }
        return order[nucleus - 1];
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}

package dev.lazyattention.lab.experiment;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.lazyattention.attention.AttentionVariant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The report's verdicts on the paper's claims, from evaluations with known numbers: each sentence names the
 * measured figure it judges and the verdict those figures call for.
 */
class ExperimentClaimsTest {

    private static ExperimentReport.Run run(AttentionVariant variant, double sinkRate, double sinkMass,
            double bitsPerByte, double sparsity) {
        JsonObject eval = new JsonObject();
        eval.addProperty("sinkRate", sinkRate);
        eval.addProperty("sinkMass", sinkMass);
        eval.addProperty("bitsPerByte", bitsPerByte);
        eval.addProperty("sparsity", sparsity);
        eval.addProperty("survivingMass", 1.0);
        return new ExperimentReport.Run(new ExperimentCommand.Run(variant, 42, false), eval, List.of(), null);
    }

    /** The first claim's line of the report: the attention sink. */
    private static String sinkClaim(double softmaxRate, double lazyRate) {
        String claims = ExperimentReport.claims(List.of(run(AttentionVariant.LAZY, lazyRate, 0.01, 2.00, 0.40),
                run(AttentionVariant.SOFTMAX, softmaxRate, 0.45, 2.01, 0.0)));
        return claims.lines().filter(l -> l.startsWith("1. ")).findFirst().orElseThrow(() -> new AssertionError(claims));
    }

    @Test
    void aSoftmaxWithTooFewSinksIsNamedWithItsOwnRate() {
        String line = sinkClaim(0.10, 0.0);
        assertTrue(line.contains("softmax 10%, lazy 0%"), line);
        assertTrue(line.contains("Softmax formed a sink in only 10% of its heads here (fewer than 25%), so this run "
                + "does not test the claim."), line);
        assertFalse(line.contains("claim holds"), line);
    }

    @Test
    void aSoftmaxWithSinksAndALazyWithoutHoldsTheClaim() {
        String line = sinkClaim(0.38, 0.0);
        assertTrue(line.contains("softmax 38%, lazy 0%"), line);
        assertTrue(line.endsWith("Softmax has a sink and lazy attention has none: the claim holds here."), line);
    }

    @Test
    void aLazyWithSinksFailsTheClaim() {
        String line = sinkClaim(0.38, 0.25);
        assertTrue(line.contains("softmax 38%, lazy 25%"), line);
        assertTrue(line.endsWith("Lazy attention keeps sinks in some heads: the claim does not hold here."), line);
    }

    @Test
    void qualityIsJudgedAgainstSoftmaxWithinTwoPercent() {
        String claims = ExperimentReport.claims(List.of(run(AttentionVariant.LAZY, 0, 0.01, 2.10, 0.40),
                run(AttentionVariant.SOFTMAX, 0.5, 0.45, 2.00, 0.0)));
        // (2.10 - 2.00) / 2.00 = +5%: worse than the tolerance allows.
        assertTrue(claims.contains("On the validation text: 2.1000 (lazy) against 2.0000 (softmax), +5.00%: does not "
                + "hold, lazy is more than 2% worse."), claims);
        assertTrue(claims.contains("40.0% of the causal attention weights of the lazy model are exactly 0"), claims);
    }
}

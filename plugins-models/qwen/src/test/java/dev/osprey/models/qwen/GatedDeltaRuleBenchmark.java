package dev.osprey.models.qwen;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

/**
 * The time of the gated delta rule over one Qwen3-Next-80B-shaped linear-attention layer (32 value heads, dk = dv =
 * 128), forward and backward, chunked (64 positions a chunk) against position by position, for a sequence of
 * {@code osprey.bench.tokens} (512) positions; and the decode step alone. Run:
 * {@code mvn -o -q test -pl plugins-models/qwen -Dtest=GatedDeltaRuleBenchmark -Dosprey.bench=true}.
 */
class GatedDeltaRuleBenchmark {

    private static final int TOKENS = Integer.getInteger("osprey.bench.tokens", 512);
    private static final int HEADS = 32;
    private static final int DIM = 128;

    @Test
    @EnabledIfSystemProperty(named = "osprey.bench", matches = "true")
    void chunkedAgainstRecurrent() {
        for (int run = 0; run < 3; run++) {
            System.out.printf(
                    "delta rule, %d positions: chunked %.0f ms, recurrent %.0f ms (forward + backward); decode step %.2f ms%n",
                    TOKENS, time(true, TOKENS), time(false, TOKENS), time(false, 1) / 1.0);
        }
    }

    private static double time(boolean chunked, int tokens) {
        try (NDManager m = NDManager.newBaseManager()) {
            Shape keys = new Shape(1, HEADS, tokens, DIM);
            NDArray q = GatedDeltaRule.l2Normalized(m.randomNormal(keys));
            NDArray k = GatedDeltaRule.l2Normalized(m.randomNormal(keys));
            NDArray v = m.randomNormal(keys);
            NDArray g = GatedDeltaRule.softplus(m.randomNormal(new Shape(1, HEADS, tokens)))
                    .neg();
            NDArray beta = m.randomUniform(0f, 1f, new Shape(1, HEADS, tokens));
            NDArray state = m.randomNormal(new Shape(1, HEADS, DIM, DIM));
            boolean train = tokens > 1;
            if (train) {
                v.setRequiresGradient(true);
            }
            long start = System.nanoTime();
            try (GradientCollector collector = train ? Engine.getInstance().newGradientCollector() : null) {
                NDArray[] out = chunked
                        ? GatedDeltaRule.chunked(q, k, v, g, beta, null, GatedDeltaNet.CHUNK)
                        : GatedDeltaRule.recurrent(q, k, v, g, beta, train ? null : state);
                if (train) {
                    collector.backward(out[0].sum());
                } else {
                    out[1].toFloatArray(); // wait for the result
                }
            }
            return (System.nanoTime() - start) / 1e6;
        }
    }
}

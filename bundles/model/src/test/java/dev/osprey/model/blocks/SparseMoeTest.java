package dev.osprey.model.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.osprey.model.nn.Params;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.Experts;
import dev.osprey.model.spi.FeedForward;

/**
 * The built-in sparse MoE ({@link Blocks#sparseMoe}, a {@code MixtureOfExperts}) against the definition: each token's
 * top-k experts, mixed by their probabilities.
 */
class SparseMoeTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray w(Params p, String name) {
        return p.get(name).get();
    }

    /** One expert's SwiGLU on one token: down(silu(gate x) * up x). */
    private NDArray expert(Params p, String prefix, NDArray x) {
        NDArray g = x.matMul(w(p, prefix + ".w1.weight").transpose());
        NDArray u = x.matMul(w(p, prefix + ".w3.weight").transpose());
        return Activation.swish(g, 1f).mul(u).matMul(w(p, prefix + ".w2.weight").transpose());
    }

    private void check(boolean normalise) {
        Params params = new Params(manager, DataType.FLOAT32, 9, 0.3);
        Experts spec = new Experts(4, 2, normalise, 12, List.of("w1", "w3", "w2"), Set.of(), 0);
        FeedForward moe = Blocks.sparseMoe(spec, false, "silu", null)
                .create(new ModuleParameters(params), "layer.block_sparse_moe", 0, 8);
        NDArray x = manager.randomNormal(new Shape(2, 3, 8)); // (B, T, H)
        float[] actual = moe.forward(x, null).toFloatArray();

        NDArray flat = x.reshape(6, 8);
        float[] expected = new float[6 * 8];
        for (int t = 0; t < 6; t++) {
            NDArray token = flat.get(t).reshape(1, 8);
            float[] probs = token.matMul(
                            w(params, "layer.block_sparse_moe.gate.weight").transpose())
                    .softmax(-1)
                    .toFloatArray();
            int first = 0;
            for (int e = 1; e < 4; e++) {
                if (probs[e] > probs[first]) {
                    first = e;
                }
            }
            int second = first == 0 ? 1 : 0;
            for (int e = 0; e < 4; e++) {
                if (e != first && probs[e] > probs[second]) {
                    second = e;
                }
            }
            double sum = normalise ? probs[first] + probs[second] : 1;
            float[] a = expert(params, "layer.block_sparse_moe.experts." + first, token)
                    .toFloatArray();
            float[] b = expert(params, "layer.block_sparse_moe.experts." + second, token)
                    .toFloatArray();
            for (int h = 0; h < 8; h++) {
                expected[t * 8 + h] = (float) ((probs[first] * a[h] + probs[second] * b[h]) / sum);
            }
        }
        assertArrayEquals(expected, actual, 1e-5f);
    }

    @Test
    void topTwoOfFourExpertsRenormalised() {
        check(true);
    }

    @Test
    void topTwoOfFourExpertsWithRawProbabilities() {
        check(false);
    }
}

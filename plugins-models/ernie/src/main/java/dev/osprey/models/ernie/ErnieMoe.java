package dev.osprey.models.ernie;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.ExpertMix;
import dev.osprey.model.spi.ExpertRouting;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Weight;

/**
 * ERNIE 4.5's mixture of experts ({@code Ernie4_5_MoeSparseMoeBlock}): a router ({@code gate}) takes a softmax over
 * {@code moe_num_experts} in float32, picks the top {@code moe_k} of the probabilities plus
 * {@code moe_statics.e_score_correction_bias} (the bias only chooses), and mixes the chosen experts' outputs by
 * their probabilities divided by their sum (at least {@code moe_norm_min}); {@code moe_num_shared_experts} fused
 * into one MLP ({@code shared_experts}) run on every token. The choice is made on the host (it has no gradient);
 * the weights are gathered from the probabilities on the device, so the router trains.
 */
final class ErnieMoe implements FeedForward {

    /**
     * The experts of ERNIE 4.5's sparse layers and which layers have them.
     *
     * @param experts {@code moe_num_experts}
     * @param topK {@code moe_k}
     * @param expertIntermediate {@code moe_intermediate_size}
     * @param sharedExperts {@code moe_num_shared_experts} (0 for none)
     * @param normMin {@code moe_norm_min}
     * @param start {@code moe_layer_start_index}
     * @param end {@code moe_layer_end_index} (-1 in the config: the last layer)
     * @param interval {@code moe_layer_interval}
     * @param bias {@code use_bias}: biases on the shared experts (the routed experts have none)
     * @param activation {@code hidden_act}
     */
    record Spec(
            int experts,
            int topK,
            int expertIntermediate,
            int sharedExperts,
            double normMin,
            int start,
            int end,
            int interval,
            boolean bias,
            String activation) {

        Spec {
            if (experts <= 0) {
                throw new IllegalArgumentException("config field 'moe_num_experts' must be positive, was " + experts);
            }
            if (topK <= 0 || topK > experts) {
                throw new IllegalArgumentException(
                        "config field 'moe_k' (" + topK + ") must be between 1 and moe_num_experts (" + experts + ")");
            }
            if (expertIntermediate <= 0) {
                throw new IllegalArgumentException(
                        "config field 'moe_intermediate_size' must be positive, was " + expertIntermediate);
            }
            if (sharedExperts < 0) {
                throw new IllegalArgumentException(
                        "config field 'moe_num_shared_experts' must not be negative, was " + sharedExperts);
            }
            if (interval <= 0) {
                throw new IllegalArgumentException(
                        "config field 'moe_layer_interval' must be positive, was " + interval);
            }
            if (!(normMin >= 0)) {
                throw new IllegalArgumentException("config field 'moe_norm_min' must not be negative, was " + normMin);
            }
        }

        static Spec from(ModelConfig c, int layers, boolean bias, String activation) {
            int end = c.getInt(-1, "moe_layer_end_index");
            return new Spec(
                    c.getInt(64, "moe_num_experts", "num_experts"),
                    c.getInt(6, "moe_k", "num_experts_per_tok"),
                    c.getInt(1536, "moe_intermediate_size"),
                    c.getInt(2, "moe_num_shared_experts"),
                    c.getDouble(1e-12, "moe_norm_min"),
                    c.getInt(1, "moe_layer_start_index"),
                    end == -1 ? layers - 1 : end, // transformers' __post_init__
                    c.getInt(1, "moe_layer_interval"),
                    bias,
                    activation);
        }

        /** Whether layer {@code layer} has experts, as {@code Ernie4_5_MoeDecoderLayer} decides. */
        boolean sparse(int layer) {
            return (layer + 1) % interval == 0 && layer >= start && layer <= end;
        }

        /** The experts in the sparse layers, {@code dense} in the others. */
        FeedForwardFactory factory(FeedForwardFactory dense) {
            return (parameters, module, layer, hidden) -> sparse(layer)
                    ? new ErnieMoe(parameters, module, layer, hidden, this)
                    : dense.create(parameters, module, layer, hidden);
        }
    }

    private final Spec spec;
    private final Weight router;
    private final Weight correctionBias;
    private final List<FeedForward> experts = new ArrayList<>();
    private final FeedForward shared;

    /** @param block the module name, e.g. {@code model.layers.1.mlp} */
    ErnieMoe(Parameters p, String block, int layer, int hidden, Spec spec) {
        this.spec = spec;
        router = p.normal(block + ".gate.weight", spec.experts(), hidden);
        // the checkpoint stores it as (1, E) beside the router, not under it
        correctionBias = p.normal(block + ".moe_statics.e_score_correction_bias", 1, spec.experts());
        correctionBias.get().set(new NDIndex(":"), 0f); // (1, E): a fresh model's bias chooses nothing
        FeedForwardFactory expert = Blocks.gatedMlp(spec.expertIntermediate(), false, false, spec.activation());
        for (int e = 0; e < spec.experts(); e++) {
            experts.add(expert.create(p, block + ".experts." + e, layer, hidden));
        }
        shared = spec.sharedExperts() > 0
                ? Blocks.gatedMlp(
                                spec.expertIntermediate() * spec.sharedExperts(), spec.bias(), false, spec.activation())
                        .create(p, block + ".shared_experts", layer, hidden)
                : null;
    }

    @Override
    public NDArray forward(NDArray x, String adapter) {
        Shape shape = x.getShape(); // (B, T, H)
        long hidden = shape.get(2);
        int tokens = Math.toIntExact(shape.get(0) * shape.get(1));
        int k = spec.topK();
        NDArray flat = x.reshape(tokens, hidden); // (N, H)
        // the router runs in float32 whatever the model's type, as transformers runs it
        NDArray logits = flat.toType(DataType.FLOAT32, false)
                .matMul(router.get().toType(DataType.FLOAT32, false).transpose()); // (N, E)
        NDArray probabilities = logits.softmax(-1); // (N, E)
        long[] chosen = choose(probabilities); // token n's j-th expert at n·k + j
        NDManager m = x.getManager();
        NDArray weights = probabilities.gather(m.create(chosen, new Shape(tokens, k)), 1); // (N, k)
        NDArray sum = Scalars.maximum(weights.sum(new int[] {-1}, true), (float) spec.normMin()); // (N, 1)
        weights = weights.div(sum); // (N, k)

        NDArray mixed = ExpertMix.mix(flat, chosen, weights, experts, adapter); // (N, H)
        if (shared != null) {
            mixed = mixed.add(shared.forward(flat, adapter)); // (N, H)
        }
        return mixed.reshape(shape); // (B, T, H)
    }

    /**
     * The experts each token is routed to: the top k of probability plus correction bias.
     *
     * @param probabilities (N, E) the router's softmax
     * @return (N·k) expert indices, token by token
     */
    private long[] choose(NDArray probabilities) {
        int n = Math.toIntExact(probabilities.getShape().get(0));
        int e = spec.experts();
        float[] all = probabilities.toFloatArray();
        float[] bias = correctionBias.get().toType(DataType.FLOAT32, false).toFloatArray(); // (1, E) flattened
        long[] chosen = new long[n * spec.topK()];
        float[] choice = new float[e];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < e; i++) {
                choice[i] = all[t * e + i] + bias[i];
            }
            int[] best = ExpertRouting.top(choice, spec.topK());
            for (int j = 0; j < best.length; j++) {
                chosen[t * spec.topK() + j] = best[j];
            }
        }
        return chosen;
    }
}

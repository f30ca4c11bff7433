package dev.osprey.models.ernie;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.ExpertRouting;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.MixtureOfExperts;

/**
 * ERNIE 4.5's mixture of experts ({@code Ernie4_5_MoeSparseMoeBlock}) and which layers have it: a softmax router
 * ({@code gate}) over {@code moe_num_experts} picks the top {@code moe_k} of the probabilities plus
 * {@code moe_statics.e_score_correction_bias} (stored as (1, E); the bias only chooses) and mixes the chosen
 * experts by their probabilities divided by their sum (at least {@code moe_norm_min}); {@code moe_num_shared_experts}
 * fused into one MLP ({@code shared_experts}) run on every token.
 *
 * @param experts the sparse block
 * @param start {@code moe_layer_start_index}
 * @param end {@code moe_layer_end_index} (-1 in the config: the last layer)
 * @param interval {@code moe_layer_interval}
 */
record ErnieMoeLayers(MixtureOfExperts.Spec experts, int start, int end, int interval) {

    /** ERNIE's names of the expert counts. */
    static final MixtureOfExperts.Fields FIELDS =
            new MixtureOfExperts.Fields("moe_num_experts", "moe_k", "moe_intermediate_size", "moe_num_shared_experts");

    ErnieMoeLayers {
        if (interval <= 0) {
            throw new IllegalArgumentException("config field 'moe_layer_interval' must be positive, was " + interval);
        }
    }

    /**
     * @param layers {@code num_hidden_layers}
     * @param bias {@code use_bias}: biases on the shared experts (the routed experts have none)
     */
    static ErnieMoeLayers from(ModelConfig c, int layers, boolean bias, String activation) {
        int end = c.getInt(-1, "moe_layer_end_index");
        double normMin = c.getDouble(1e-12, "moe_norm_min");
        int intermediate = c.getInt(1536, "moe_intermediate_size");
        return MixtureOfExperts.checked(c, () -> {
            if (!(normMin >= 0)) {
                throw new IllegalArgumentException("config field 'moe_norm_min' must not be negative, was " + normMin);
            }
            ExpertRouting.Rule rule = ExpertRouting.Rule.softmaxTopK(c.getInt(6, "moe_k", "num_experts_per_tok"), true)
                    .normalizedAtLeast(normMin);
            MixtureOfExperts.Spec experts = MixtureOfExperts.Spec.of(
                            FIELDS, c.getInt(64, "moe_num_experts", "num_experts"), intermediate, activation, rule)
                    .withCorrectionBias("moe_statics.e_score_correction_bias", true)
                    .withShared(c.getInt(2, "moe_num_shared_experts"), intermediate, "shared_experts", bias, false);
            return new ErnieMoeLayers(
                    experts,
                    c.getInt(1, "moe_layer_start_index"),
                    end == -1 ? layers - 1 : end, // transformers' __post_init__
                    c.getInt(1, "moe_layer_interval"));
        });
    }

    /** Whether layer {@code layer} has experts, as {@code Ernie4_5_MoeDecoderLayer} decides. */
    boolean sparse(int layer) {
        return (layer + 1) % interval == 0 && layer >= start && layer <= end;
    }

    /** The experts in the sparse layers, {@code dense} in the others. */
    FeedForwardFactory factory(FeedForwardFactory dense) {
        return experts.factory(this::sparse, dense);
    }
}

package dev.osprey.models.qwen;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.Experts;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.QkNorms;

/**
 * Qwen3-MoE: the Qwen3 decoder (q/k norms) with a sparse mixture of experts ({@code mlp.gate} router,
 * {@code mlp.experts.N.gate_proj/up_proj/down_proj}) in every layer but those of {@code mlp_only_layers} and
 * those skipped by {@code decoder_sparse_step}; {@code norm_topk_prob} renormalises the chosen experts.
 */
@Component(service = ModelArchitecture.class)
public class Qwen3MoeArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of qwen3_moe.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     * @param moe the experts and which layers stay dense
     */
    record Qwen3MoeConfig(LlamaLikeConfig common, boolean attentionBias, Experts moe) {

        static Qwen3MoeConfig from(ModelConfig c) {
            return new Qwen3MoeConfig(
                    LlamaLikeConfig.read(c, false, "silu"), c.getBoolean(false, "attention_bias"), moe(c));
        }

        /**
         * The experts, from {@code num_experts}, {@code moe_intermediate_size}, the dense-layer settings and
         * (Qwen2-MoE) {@code shared_expert_intermediate_size}.
         */
        static Experts moe(ModelConfig c) {
            int layers = c.requireInt("num_hidden_layers");
            int step = c.getInt(1, "decoder_sparse_step");
            Set<Integer> dense = new HashSet<>();
            c.get("mlp_only_layers")
                    .filter(List.class::isInstance)
                    .ifPresent(v -> ((List<?>) v).forEach(x -> dense.add(((Number) x).intValue())));
            for (int i = 0; i < layers; i++) {
                if (step <= 0 || (i + 1) % step != 0) {
                    dense.add(i);
                }
            }
            return new Experts(
                    c.requireInt("num_experts", "num_local_experts"),
                    c.getInt(8, "num_experts_per_tok"),
                    c.getBoolean(false, "norm_topk_prob"),
                    c.requireInt("moe_intermediate_size"),
                    List.of("gate_proj", "up_proj", "down_proj"),
                    dense,
                    c.getInt(0, "shared_expert_intermediate_size"));
        }

        DecoderLayout layout() {
            AttentionSpec attention =
                    common.attention(attentionBias, attentionBias).withQkNorms(QkNorms.beforeRope(common.rmsNorm()));
            return common.layout(
                    Blocks.attention(attention),
                    Blocks.sparseMoe(moe, false, common.activation(), common.gatedMlp(false)));
        }
    }

    @Override
    public String name() {
        return "qwen3_moe";
    }

    @Override
    public String description() {
        return "Qwen3 mixture-of-experts models (Qwen3-30B-A3B, Qwen3-235B-A22B)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Qwen3MoeForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return Qwen3MoeConfig.from(config).layout();
    }
}

package dev.osprey.models.olmoe;

import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AttentionFactory;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.Experts;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.ProjectionNormedAttention;

/**
 * Allen AI's OLMoE ({@code OlmoeForCausalLM}): the Llama decoder whose attention RMS-norms q and k over the whole
 * projection and may clamp q, k and v ({@link ProjectionNormedAttention}), and whose every MLP is a sparse mixture of
 * experts: softmax over {@code num_experts}, the top {@code num_experts_per_tok} renormalised when
 * {@code norm_topk_prob}, no shared expert ({@code mlp.gate}, {@code mlp.experts.N.gate_proj/up_proj/down_proj}).
 */
@Component(service = ModelArchitecture.class)
public class OlmoeArchitecture extends DecoderFamily {

    /** OLMoE's default {@code rms_norm_eps}. */
    static final double DEFAULT_RMS_EPS = 1e-5;

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of olmoe.
     *
     * @param common the fields every Llama-like model shares ({@code intermediate_size} is each expert's width)
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     * @param clipQkv the clamp of q, k and v ({@code clip_qkv}); 0 when null or absent: no clamp
     * @param moe the experts
     */
    record OlmoeConfig(LlamaLikeConfig common, boolean attentionBias, double clipQkv, Experts moe) {

        static OlmoeConfig from(ModelConfig c) {
            LlamaLikeConfig read = LlamaLikeConfig.read(c, false, "silu");
            if (c.get("rms_norm_eps").isEmpty()) {
                read = read.withRmsEps(DEFAULT_RMS_EPS);
            }
            double clip = c.getDouble(0, "clip_qkv");
            if (clip < 0) {
                throw new IllegalArgumentException(c.source() + ": clip_qkv must be positive or null, was " + clip);
            }
            int experts = c.requireInt("num_experts");
            int topK = c.getInt(8, "num_experts_per_tok");
            if (topK <= 0 || topK > experts) {
                throw new IllegalArgumentException(c.source() + ": num_experts_per_tok (" + topK
                        + ") must be between 1 and num_experts (" + experts + ")");
            }
            Experts moe = new Experts(
                    experts,
                    topK,
                    c.getBoolean(false, "norm_topk_prob"),
                    read.intermediateSize(),
                    List.of("gate_proj", "up_proj", "down_proj"),
                    Set.of(),
                    0);
            return new OlmoeConfig(read, c.getBoolean(false, "attention_bias"), clip, moe);
        }

        DecoderLayout layout() {
            AttentionFactory attention = (parameters, module, layer, hidden) -> new ProjectionNormedAttention(
                    parameters,
                    module,
                    hidden,
                    common.attention(attentionBias, attentionBias),
                    common.rmsNorm(),
                    clipQkv);
            // every layer is sparse: the dense block is never built
            return common.layout(attention, Blocks.sparseMoe(moe, false, common.activation(), common.gatedMlp(false)));
        }
    }

    @Override
    public String name() {
        return "olmoe";
    }

    @Override
    public String description() {
        return "Allen AI OLMoE mixture-of-experts models (OLMoE-1B-7B)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("OlmoeForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return OlmoeConfig.from(config).layout();
    }
}

package dev.osprey.models.llama;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.LlamaLikeConfig;

/**
 * XVERSE ({@code XverseForCausalLM}, remote code on the Hub): Llama's decoder under Llama's checkpoint keys, with
 * no biases (as vLLM's model_executor/models/xverse.py builds it: qkv_proj, o_proj, gate_up_proj and down_proj
 * without bias, RMSNorm, neox-style RoPE). XVERSE-MoE shares the architecture name but has experts, which this
 * layout lacks: its config is refused by {@code num_experts}.
 */
@Component(service = ModelArchitecture.class)
public class XverseArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /** @throws IllegalArgumentException naming {@code num_experts} for XVERSE-MoE, or a Llama field at fault */
    static LlamaLikeConfig config(ModelConfig c) {
        if (c.get("num_experts").isPresent()) {
            throw new IllegalArgumentException(
                    c.source() + ": num_experts is set: XVERSE-MoE's experts are not supported, only dense XVERSE");
        }
        return LlamaLikeConfig.read(c, false, "silu");
    }

    @Override
    public String name() {
        return "xverse";
    }

    @Override
    public String description() {
        return "XVERSE dense models (XVERSE-7B/13B/65B, base and chat, long-context variants)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("XverseForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        LlamaLikeConfig common = config(config);
        return common.layout(Blocks.attention(common.attention(false, false)), common.gatedMlp(false));
    }
}

package dev.osprey.models.deepseek;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;

/**
 * DeepSeek-V3.2 ({@code DeepseekV32ForCausalLM}: V3.2, V3.2-Exp, V3.2-Speciale, DeepSeek-Math-V2): DeepSeek-V3 with
 * DeepSeek Sparse Attention, multi-head latent attention (rotary features always interleaved, {@code q_lora_rank}
 * required) in which each query attends only to the {@code index_topk} keys its {@link LightningIndexer} ranks
 * highest; dense MLPs in the first {@code first_k_dense_replace} layers (or as {@code mlp_layer_types} says), then
 * V3's sigmoid-routed and shared experts.
 */
@Component(service = ModelArchitecture.class)
public class DeepseekV32Architecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /** V3's config with the sparse attention's indexer. */
    static DeepseekV3Architecture.DeepseekV3Config config(ModelConfig c) {
        return DeepseekV3Architecture.DeepseekV3Config.from(
                c, MultiHeadLatentAttention.Spec.from(c, true, true).withIndexer(c));
    }

    @Override
    public String name() {
        return "deepseek_v32";
    }

    @Override
    public String description() {
        return "DeepSeek-V3.2: DeepSeek Sparse Attention (lightning indexer, top-k keys) on V3's MLA and DeepSeekMoE";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("DeepseekV32ForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return DeepseekV2Architecture.LINEAR_MODULES;
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return config(config).layout(config);
    }
}

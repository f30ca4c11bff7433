package dev.osprey.models.deepseek;

import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;

/**
 * GLM-5 ({@code GlmMoeDsaForCausalLM}, model type {@code glm_moe_dsa}): DeepSeek-V3.2's layout
 * ({@link DeepseekV32Architecture}: multi-head latent attention with DeepSeek Sparse Attention's lightning indexer,
 * dense then V3-routed and shared experts) under GLM's defaults. Transformers lets a layer reuse the previous layer's
 * key selection ({@code indexer_types} "shared"); such configs are refused, every layer runs its own indexer.
 */
@Component(service = ModelArchitecture.class)
public class GlmMoeDsaArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * V3.2's config, once every layer is known to run its own indexer.
     *
     * @throws IllegalArgumentException naming {@code indexer_types} (or the fields it derives from) when a layer shares
     */
    static DeepseekV3Architecture.DeepseekV3Config config(ModelConfig c) {
        int layers = c.requireInt("num_hidden_layers");
        List<?> types = indexerTypes(c, layers);
        if (types.contains("shared")) {
            throw new IllegalArgumentException(c.source() + ": config field 'indexer_types' " + types
                    + " has layers that reuse another layer's key selection (\"shared\", from index_topk_freq or"
                    + " index_topk_pattern); glm_moe_dsa runs with every layer \"full\"");
        }
        return DeepseekV32Architecture.config(c);
    }

    /** {@code indexer_types}, or transformers' derivation from {@code index_topk_pattern} / {@code index_topk_freq}. */
    static List<?> indexerTypes(ModelConfig c, int layers) {
        if (c.get("indexer_types").orElse(null) instanceof List<?> types) {
            return types;
        }
        if (c.get("index_topk_pattern").orElse(null) instanceof String pattern) {
            return pattern.chars().mapToObj(ch -> ch == 'S' ? "shared" : "full").toList();
        }
        int freq = Math.max(c.getInt(1, "index_topk_freq"), 1);
        int offset = c.getInt(2, "index_skip_topk_offset");
        return IntStream.range(0, layers)
                .mapToObj(i -> Math.max(i - offset + 1, 0) % freq == 0 ? "full" : "shared")
                .toList();
    }

    @Override
    public String name() {
        return "glm_moe_dsa";
    }

    @Override
    public String description() {
        return "GLM-5: DeepSeek-V3.2's sparse attention (lightning indexer) and DeepSeekMoE, under GLM's names";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("GlmMoeDsaForCausalLM");
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

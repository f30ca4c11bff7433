package dev.osprey.models.qwen.hybrid;

import java.util.Set;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.models.qwen.Qwen3NextArchitecture;

/** The hybrid decoders of this bundle, for families that compose them. */
public final class HybridDecoders {

    private HybridDecoders() {}

    /**
     * Qwen3.5's language model: Qwen3-Next's layers whose linear attention has split projections
     * ({@code in_proj_qkv}, {@code in_proj_z}, {@code in_proj_b}, {@code in_proj_a}), a dense SwiGLU MLP where
     * {@code num_experts} is not set, and plain rotary tables over {@code rope_parameters.partial_rotary_factor} of
     * each head (a caller wraps them for M-RoPE), under the plain decoder's keys ({@code model.layers.*}).
     *
     * @param text the language model's config ({@code text_config} of the vision-language model)
     */
    public static DecoderLayout qwen35(ModelConfig text) {
        return Qwen3NextArchitecture.splitProjectionLayout(text);
    }

    /** The linear modules of {@link #qwen35}, which LoRA may adapt. */
    public static Set<String> qwen35LinearModules() {
        return Qwen3NextArchitecture.splitProjectionLinearModules();
    }
}

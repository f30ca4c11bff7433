package dev.osprey.models.qwen;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AttentionFactory;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.Experts;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * Qwen3-Next: a hybrid decoder whose layers mix tokens either by gated DeltaNet linear attention
 * ({@code linear_attn}, {@link GatedDeltaNet}; its cache entry a recurrent state) or by gated full attention
 * ({@code self_attn}, {@link GatedAttention}: an output gate from {@code q_proj}, per-head q/k norms, rotary over
 * {@code partial_rotary_factor} of each head), as {@code layer_types} (or every {@code full_attention_interval}-th
 * layer full) says; every RMSNorm but the gated one scales by {@code 1 + weight}; Qwen2-MoE's experts with a
 * sigmoid-gated shared expert. The multi-token-prediction layers ({@code mtp.*}) are not run.
 */
@Component(service = ModelArchitecture.class)
public class Qwen3NextArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    private static final Set<String> LINEAR_MODULES = linearModules(List.of("in_proj_qkvz", "in_proj_ba", "out_proj"));

    /** Qwen3.5's: its linear attention's projections are split. */
    static final Set<String> SPLIT_LINEAR_MODULES =
            linearModules(List.of("in_proj_qkv", "in_proj_z", "in_proj_b", "in_proj_a", "out_proj"));

    private static Set<String> linearModules(List<String> linearAttention) {
        Set<String> modules = new HashSet<>(LLAMA_LINEAR_MODULES);
        modules.addAll(linearAttention);
        return Set.copyOf(modules);
    }

    /**
     * The shape of the gated DeltaNet layers.
     *
     * @param keyHeads {@code linear_num_key_heads}
     * @param valueHeads {@code linear_num_value_heads}, a multiple of keyHeads
     * @param keyDim {@code linear_key_head_dim} (dk)
     * @param valueDim {@code linear_value_head_dim} (dv)
     * @param convKernel {@code linear_conv_kernel_dim}
     */
    record LinearAttention(int keyHeads, int valueHeads, int keyDim, int valueDim, int convKernel) {

        LinearAttention {
            if (keyHeads <= 0 || valueHeads <= 0 || keyDim <= 0 || valueDim <= 0 || convKernel <= 0) {
                throw new IllegalArgumentException("config fields linear_num_key_heads, linear_num_value_heads,"
                        + " linear_key_head_dim, linear_value_head_dim and linear_conv_kernel_dim must be positive");
            }
            if (valueHeads % keyHeads != 0) {
                throw new IllegalArgumentException("config field 'linear_num_value_heads' (" + valueHeads
                        + ") must be a multiple of 'linear_num_key_heads' (" + keyHeads + ")");
            }
        }

        /** The channels of the conv: q, k and v. */
        int convDim() {
            return 2 * keyHeads * keyDim + valueHeads * valueDim;
        }
    }

    /**
     * The config.json of qwen3_next.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o of the full-attention layers ({@code attention_bias})
     * @param rope the rotary embedding over {@code partial_rotary_factor} (default 0.25) of each head
     * @param linear the shape of the linear-attention layers
     * @param fullAttention per layer, whether it is a full-attention layer
     * @param moe the experts and which layers stay dense, or null for a dense SwiGLU MLP in every layer (Qwen3.5)
     * @param splitProjections Qwen3.5's split linear-attention projections rather than Qwen3-Next's fused ones
     */
    record Qwen3NextConfig(
            LlamaLikeConfig common,
            boolean attentionBias,
            RotaryEmbedding rope,
            LinearAttention linear,
            boolean[] fullAttention,
            Experts moe,
            boolean splitProjections) {

        static Qwen3NextConfig from(ModelConfig c) {
            return from(c, false);
        }

        /**
         * @param split Qwen3.5's language model: split projections, experts only where {@code num_experts} is set,
         *     and the rotary share of each head from {@code rope_parameters.partial_rotary_factor} (which
         *     transformers' Qwen3.5 rotary embedding reads) before the top-level one
         */
        static Qwen3NextConfig from(ModelConfig c, boolean split) {
            LlamaLikeConfig common = LlamaLikeConfig.read(c, false, "silu");
            if (!common.activation().equals("silu")) {
                throw new IllegalArgumentException(c.source() + ": qwen3_next's gated DeltaNet runs its conv and gated"
                        + " norm with silu; hidden_act '" + common.activation() + "' is not supported");
            }
            // the rope reads a top-level partial_rotary_factor itself; qwen3_next's default is 0.25, not 1
            RotaryEmbedding rope = split
                    ? Blocks.plainRope(
                            c.getDouble(10000.0, "rope_parameters.rope_theta", "rope_theta"),
                            (int) (common.headDim()
                                    * c.getDouble(
                                            c.getDouble(0.25, "partial_rotary_factor"),
                                            "rope_parameters.partial_rotary_factor")),
                            c.getInt(32768, "max_position_embeddings"))
                    : c.get("partial_rotary_factor").isPresent()
                            ? common.rope()
                            : Blocks.rope(c, (int)
                                    (common.headDim() * c.getDouble(0.25, "rope_parameters.partial_rotary_factor")));
            LinearAttention linear = new LinearAttention(
                    c.getInt(16, "linear_num_key_heads"),
                    c.getInt(32, "linear_num_value_heads"),
                    c.getInt(128, "linear_key_head_dim"),
                    c.getInt(128, "linear_value_head_dim"),
                    c.getInt(4, "linear_conv_kernel_dim"));
            return new Qwen3NextConfig(
                    common,
                    c.getBoolean(false, "attention_bias"),
                    rope,
                    linear,
                    layerTypes(c, common.layers()),
                    split && c.get("num_experts", "num_local_experts").isEmpty()
                            ? null
                            : Qwen3MoeArchitecture.Qwen3MoeConfig.moe(c),
                    split);
        }

        /** {@code layer_types}, or a full-attention layer every {@code full_attention_interval} (4) layers. */
        static boolean[] layerTypes(ModelConfig c, int layers) {
            boolean[] full = new boolean[layers];
            List<?> types = c.get("layer_types")
                    .filter(List.class::isInstance)
                    .map(List.class::cast)
                    .orElse(null);
            if (types == null) {
                int interval = c.getInt(4, "full_attention_interval");
                if (interval <= 0) {
                    throw new IllegalArgumentException(c.source() + ": full_attention_interval must be positive");
                }
                for (int i = 0; i < layers; i++) {
                    full[i] = (i + 1) % interval == 0;
                }
                return full;
            }
            if (types.size() != layers) {
                throw new IllegalArgumentException(c.source() + ": layer_types has " + types.size() + " entries for "
                        + layers + " layers (num_hidden_layers)");
            }
            List<String> unknown = new ArrayList<>();
            for (int i = 0; i < layers; i++) {
                String type = String.valueOf(types.get(i));
                full[i] = type.equals("full_attention");
                if (!full[i] && !type.equals("linear_attention")) {
                    unknown.add(type);
                }
            }
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException(
                        c.source() + ": layer_types may hold linear_attention and" + " full_attention, not " + unknown);
            }
            return full;
        }

        DecoderLayout layout() {
            NormFactory norm = Blocks.rmsNorm(common.rmsEps(), 1f); // x · (1 + weight)
            AttentionSpec spec = common.attention(attentionBias, attentionBias);
            double eps = common.rmsEps();
            AttentionFactory attention = (parameters, module, layer, hidden) -> fullAttention[layer]
                    ? new GatedAttention(parameters, module, hidden, spec, norm)
                    : new GatedDeltaNet(parameters, linearModule(module), hidden, linear, eps, splitProjections);
            FeedForwardFactory mlp = moe == null
                    ? common.gatedMlp(false)
                    : Blocks.sparseMoe(moe, false, common.activation(), common.gatedMlp(false));
            return common.layout(attention, mlp).withNorms(norm).withRope(rope);
        }

        /** {@code model.layers.N.self_attn} to {@code model.layers.N.linear_attn}. */
        private static String linearModule(String attentionModule) {
            return attentionModule.substring(0, attentionModule.lastIndexOf('.') + 1) + "linear_attn";
        }
    }

    /**
     * Qwen3.5's language model ({@code text_config} of {@code qwen3_5}): Qwen3-Next's hybrid layers with split
     * linear-attention projections and, without {@code num_experts}, a dense MLP; for
     * {@link dev.osprey.models.qwen.hybrid.HybridDecoders}.
     */
    public static DecoderLayout splitProjectionLayout(ModelConfig text) {
        return Qwen3NextConfig.from(text, true).layout();
    }

    /** The linear modules of {@link #splitProjectionLayout}, which LoRA may adapt. */
    public static Set<String> splitProjectionLinearModules() {
        return SPLIT_LINEAR_MODULES;
    }

    @Override
    public String name() {
        return "qwen3_next";
    }

    @Override
    public String description() {
        return "Qwen3-Next hybrid models: gated DeltaNet linear attention and gated full attention, with experts";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Qwen3NextForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return LINEAR_MODULES;
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return Qwen3NextConfig.from(config).layout();
    }
}

package dev.osprey.models.qwen1;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * Qwen-1 ({@code QWenLMHeadModel}, model_type {@code qwen}; remote code on the Hub): Llama's pre-norm decoder
 * under GPT-2-like names ({@code transformer.wte}, {@code transformer.h.N.ln_1 / attn / ln_2 / mlp},
 * {@code transformer.ln_f}), a fused {@code c_attn} with a bias ({@link Qwen1Attention}) and the SwiGLU
 * {@code c_proj(w1(x) * silu(w2(x)))} ({@link Qwen1Mlp}). Qwen2 and later are another bundle (plugins-models/qwen).
 *
 * <p>Inputs longer than {@code seq_length} run with the plain rotary embedding: Qwen-1's inference-time dynamic
 * NTK ({@code use_dynamic_ntk}) and logn query scaling ({@code use_logn_attn}) only act beyond it and are not
 * applied.
 */
@Component(service = ModelArchitecture.class)
public class Qwen1Architecture extends DecoderFamily {

    /** Qwen-1's module names. */
    static final CheckpointKeys KEYS = new CheckpointKeys(
            "transformer.wte", "transformer.h", "transformer.ln_f", "lm_head", "ln_1", "attn", "ln_2", "mlp");

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of Qwen-1.
     *
     * @param vocabSize {@code vocab_size}
     * @param hiddenSize {@code hidden_size}
     * @param layers {@code num_hidden_layers}
     * @param heads {@code num_attention_heads}
     * @param headDim {@code kv_channels}, default hidden / heads
     * @param mlpWidth {@code intermediate_size / 2}: Qwen-1's field counts w1 and w2 together
     * @param rotaryDim the rotated features per head ({@code kv_channels · rotary_pct})
     * @param rotaryBase {@code rotary_emb_base}
     * @param maxPositions {@code seq_length}
     * @param eps {@code layer_norm_epsilon}
     * @param bias biases on attn.c_proj, w1, w2 and mlp.c_proj ({@code !no_bias}); c_attn always has one
     * @param tieWordEmbeddings {@code tie_word_embeddings}
     * @param initStd {@code initializer_range}
     */
    record Qwen1Config(
            int vocabSize,
            int hiddenSize,
            int layers,
            int heads,
            int headDim,
            int mlpWidth,
            int rotaryDim,
            double rotaryBase,
            int maxPositions,
            double eps,
            boolean bias,
            boolean tieWordEmbeddings,
            double initStd) {

        static Qwen1Config from(ModelConfig c) {
            int hidden = c.requireInt("hidden_size");
            int heads = c.requireInt("num_attention_heads");
            positive(c, "num_attention_heads", heads);
            int headDim = c.getInt(hidden / heads, "kv_channels");
            positive(c, "kv_channels", headDim);
            int intermediate = c.requireInt("intermediate_size");
            if (intermediate <= 0 || intermediate % 2 != 0) {
                throw new IllegalArgumentException(c.source() + ": intermediate_size must be even and positive"
                        + " (Qwen-1's MLP is intermediate_size / 2 wide), was " + intermediate);
            }
            double pct = c.getDouble(1.0, "rotary_pct");
            int rotaryDim = (int) (headDim * pct);
            if (!(pct > 0 && pct <= 1) || rotaryDim % 2 != 0 || rotaryDim == 0) {
                throw new IllegalArgumentException(c.source() + ": rotary_pct must be in (0, 1] and give an even"
                        + " rotary width of kv_channels (" + headDim + "), was " + pct);
            }
            double base = c.getDouble(10000.0, "rotary_emb_base");
            if (!(base > 0)) {
                throw new IllegalArgumentException(c.source() + ": rotary_emb_base must be positive, was " + base);
            }
            return new Qwen1Config(
                    c.requireInt("vocab_size"),
                    hidden,
                    c.requireInt("num_hidden_layers"),
                    heads,
                    headDim,
                    intermediate / 2,
                    rotaryDim,
                    base,
                    c.getInt(8192, "seq_length", "max_position_embeddings"),
                    c.getDouble(1e-6, "layer_norm_epsilon"),
                    !c.getBoolean(true, "no_bias"),
                    c.getBoolean(false, "tie_word_embeddings"),
                    c.getDouble(0.02, "initializer_range"));
        }

        private static void positive(ModelConfig c, String field, int value) {
            if (value <= 0) {
                throw new IllegalArgumentException(c.source() + ": " + field + " must be positive, was " + value);
            }
        }

        RotaryEmbedding rope() {
            return Blocks.plainRope(rotaryBase, rotaryDim, maxPositions);
        }

        DecoderLayout layout() {
            NormFactory norm = Blocks.rmsNorm(eps, 0f);
            return new DecoderLayout(
                    vocabSize,
                    hiddenSize,
                    layers,
                    initStd,
                    tieWordEmbeddings,
                    1.0,
                    rope(),
                    0,
                    KEYS,
                    norm,
                    (parameters, module, layer, hidden) ->
                            new Qwen1Attention(parameters, module, hidden, heads, headDim, bias),
                    norm,
                    (parameters, module, layer, hidden) -> new Qwen1Mlp(parameters, module, hidden, mlpWidth, bias),
                    norm);
        }
    }

    @Override
    public String name() {
        return "qwen";
    }

    @Override
    public String description() {
        return "Qwen-1 (Qwen-1.8B/7B/14B/72B, base and chat, and fine-tunes such as CodeFuse-QWen)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("QWenLMHeadModel");
    }

    @Override
    public Set<String> linearModules() {
        return Set.of("c_attn", "c_proj", "w1", "w2");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return Qwen1Config.from(config).layout();
    }
}

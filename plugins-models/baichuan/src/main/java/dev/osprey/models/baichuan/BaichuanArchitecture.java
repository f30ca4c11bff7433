package dev.osprey.models.baichuan;

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

/**
 * Baichuan and Baichuan 2 ({@code BaiChuanForCausalLM}, {@code BaichuanForCausalLM}, model_type {@code baichuan};
 * remote code on the Hub): Llama's decoder and names with q, k and v packed in one {@code W_pack}
 * ({@link BaichuanAttention}). The config does not say which code a checkpoint ships, so this reads it as vLLM's
 * baichuan.py does: Baichuan-7B ({@code BaiChuanForCausalLM}) and the 7B Baichuan 2 ({@code hidden_size} 4096)
 * rotate with RoPE, base 10000; the 13B models use ALiBi ({@link Alibi}) instead; Baichuan 2 (its vocabulary of
 * 125696) normalizes each row of its output head ({@code NormHead}, {@link #normalizedHead}).
 */
@Component(service = ModelArchitecture.class)
public class BaichuanArchitecture extends DecoderFamily {

    /** Baichuan 2's vocabulary: its checkpoints, unlike Baichuan's, have a NormHead. */
    static final int BAICHUAN2_VOCAB = 125696;

    /** The width of the 7B models, which rotate with RoPE; the wider 13B models use ALiBi. */
    static final int ROPE_HIDDEN_SIZE = 4096;

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of Baichuan.
     *
     * @param vocabSize {@code vocab_size}
     * @param hiddenSize {@code hidden_size}
     * @param intermediateSize {@code intermediate_size}
     * @param layers {@code num_hidden_layers}
     * @param heads {@code num_attention_heads}
     * @param eps {@code rms_norm_eps}
     * @param activation {@code hidden_act}
     * @param maxPositions {@code max_position_embeddings} (or {@code model_max_length})
     * @param alibi ALiBi instead of RoPE (the 13B models)
     * @param tieWordEmbeddings {@code tie_word_embeddings}
     * @param initStd {@code initializer_range}
     */
    record BaichuanConfig(
            int vocabSize,
            int hiddenSize,
            int intermediateSize,
            int layers,
            int heads,
            double eps,
            String activation,
            int maxPositions,
            boolean alibi,
            boolean tieWordEmbeddings,
            double initStd) {

        static BaichuanConfig from(ModelConfig c) {
            int hidden = c.requireInt("hidden_size");
            int heads = c.requireInt("num_attention_heads");
            if (heads <= 0 || hidden % heads != 0) {
                throw new IllegalArgumentException(c.source() + ": hidden_size (" + hidden
                        + ") must be a positive multiple of num_attention_heads (" + heads + ")");
            }
            boolean baichuan7b =
                    c.architecture().map("BaiChuanForCausalLM"::equals).orElse(false);
            return new BaichuanConfig(
                    c.requireInt("vocab_size"),
                    hidden,
                    c.requireInt("intermediate_size"),
                    c.requireInt("num_hidden_layers"),
                    heads,
                    c.getDouble(1e-6, "rms_norm_eps"),
                    c.getString("hidden_act").orElse("silu"),
                    c.getInt(4096, "max_position_embeddings", "model_max_length"),
                    !baichuan7b && hidden != ROPE_HIDDEN_SIZE,
                    c.getBoolean(false, "tie_word_embeddings"),
                    c.getDouble(0.02, "initializer_range"));
        }

        DecoderLayout layout() {
            NormFactory norm = Blocks.rmsNorm(eps, 0f);
            Alibi bias = alibi ? new Alibi(heads) : null;
            return new DecoderLayout(
                    vocabSize,
                    hiddenSize,
                    layers,
                    initStd,
                    tieWordEmbeddings,
                    1.0,
                    alibi ? null : Blocks.plainRope(10000.0, hiddenSize / heads, maxPositions),
                    0,
                    CheckpointKeys.LLAMA,
                    norm,
                    (parameters, module, layer, width) -> new BaichuanAttention(parameters, module, width, heads, bias),
                    norm,
                    Blocks.gatedMlp(intermediateSize, false, false, activation),
                    norm);
        }
    }

    @Override
    public String name() {
        return "baichuan";
    }

    @Override
    public String description() {
        return "Baichuan-7B/13B and Baichuan2-7B/13B (base and chat)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("BaichuanForCausalLM", "BaiChuanForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return Set.of("W_pack", "o_proj", "gate_proj", "up_proj", "down_proj");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return BaichuanConfig.from(config).layout();
    }

    /** Baichuan 2's NormHead, told from Baichuan's by its vocabulary (as vLLM's baichuan.py does). */
    @Override
    public boolean normalizedHead(ModelConfig config) {
        return config.requireInt("vocab_size") == BAICHUAN2_VOCAB;
    }
}

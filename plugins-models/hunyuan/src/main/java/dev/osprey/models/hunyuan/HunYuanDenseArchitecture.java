package dev.osprey.models.hunyuan;

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
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.QkNorms;

/**
 * Tencent's HunYuan dense models: the Llama decoder with an RMSNorm over each head of q and k applied
 * after the rotary embedding ({@code query_layernorm}, {@code key_layernorm}), and RoPE's "dynamic" type
 * with an {@code alpha} meaning one fixed, larger base (read by {@code Blocks.rope}).
 */
@Component(service = ModelArchitecture.class)
public class HunYuanDenseArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of hunyuan_v1_dense.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     */
    record HunYuanConfig(LlamaLikeConfig common, boolean attentionBias) {

        static HunYuanConfig from(ModelConfig c) {
            return new HunYuanConfig(LlamaLikeConfig.read(c, false, "silu"), c.getBoolean(false, "attention_bias"));
        }

        DecoderLayout layout() {
            AttentionSpec attention = common.attention(attentionBias, attentionBias)
                    .withQkNorms(new QkNorms("query_layernorm", "key_layernorm", true, common.rmsNorm()));
            return common.layout(Blocks.attention(attention), common.gatedMlp(false));
        }
    }

    @Override
    public String name() {
        return "hunyuan_v1_dense";
    }

    @Override
    public String description() {
        return "Tencent HunYuan dense models (0.5B to 7B)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("HunYuanDenseV1ForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return HunYuanConfig.from(config).layout();
    }
}

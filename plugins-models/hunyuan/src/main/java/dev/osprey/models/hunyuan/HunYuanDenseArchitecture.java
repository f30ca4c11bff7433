package dev.osprey.models.hunyuan;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.decoder.CommonConfig;
import dev.osprey.model.decoder.DecoderArchitecture;
import dev.osprey.model.decoder.DecoderSpec;
import dev.osprey.model.decoder.DecoderSpec.QkNormLayout;

/**
 * Tencent's HunYuan dense models: the Llama decoder with an RMSNorm over each head of q and k applied
 * after the rotary embedding ({@code query_layernorm}, {@code key_layernorm}), and RoPE's "dynamic" type
 * with an {@code alpha} meaning one fixed, larger base (read by {@code Rope.from}).
 */
@Component(service = ModelArchitecture.class)
public class HunYuanDenseArchitecture extends DecoderArchitecture {

    /** HunYuan's per-head norms: after RoPE, under their own names. */
    static final QkNormLayout QK_NORMS = new QkNormLayout("query_layernorm", "key_layernorm", true);

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of hunyuan_v1_dense.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     */
    record HunYuanConfig(CommonConfig common, boolean attentionBias) {

        static HunYuanConfig from(ModelConfig c) {
            return new HunYuanConfig(CommonConfig.read(c, false, "silu"), c.getBoolean(false, "attention_bias"));
        }

        DecoderSpec spec() {
            return common.spec(attentionBias, attentionBias, false, false, 0f, 1.0, 0).withQkNorm(QK_NORMS);
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
    protected DecoderSpec spec(ModelConfig config) {
        return HunYuanConfig.from(config).spec();
    }
}

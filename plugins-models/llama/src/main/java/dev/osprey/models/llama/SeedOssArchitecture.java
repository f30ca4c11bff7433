package dev.osprey.models.llama;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.decoder.CommonConfig;
import dev.osprey.model.decoder.DecoderArchitecture;
import dev.osprey.model.decoder.DecoderSpec;

/**
 * ByteDance Seed-OSS: the Llama decoder with biases on q, k and v by default ({@code attention_bias},
 * true unless said otherwise), on o only with {@code attention_out_bias}, and on the MLP with
 * {@code mlp_bias}. Its attention and residual dropouts apply in training only.
 */
@Component(service = ModelArchitecture.class)
public class SeedOssArchitecture extends DecoderArchitecture {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of seed_oss.
     *
     * @param common the fields every Llama-like model shares
     * @param qkvBias biases on q, k and v ({@code attention_bias}, default true)
     * @param outputBias a bias on o ({@code attention_out_bias})
     * @param mlpBias biases on the MLP projections ({@code mlp_bias})
     */
    record SeedOssConfig(CommonConfig common, boolean qkvBias, boolean outputBias, boolean mlpBias) {

        static SeedOssConfig from(ModelConfig c) {
            return new SeedOssConfig(CommonConfig.read(c, false, "silu"), c.getBoolean(true, "attention_bias"),
                    c.getBoolean(false, "attention_out_bias"), c.getBoolean(false, "mlp_bias"));
        }

        DecoderSpec spec() {
            return common.spec(qkvBias, outputBias, mlpBias, false, 0f, 1.0, 0);
        }
    }

    @Override
    public String name() {
        return "seed_oss";
    }

    @Override
    public String description() {
        return "ByteDance Seed-OSS";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("SeedOssForCausalLM");
    }

    @Override
    protected DecoderSpec spec(ModelConfig config) {
        return SeedOssConfig.from(config).spec();
    }
}

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
 * ByteDance Seed-OSS: the Llama decoder with biases on q, k and v by default ({@code attention_bias},
 * true unless said otherwise), on o only with {@code attention_out_bias}, and on the MLP with
 * {@code mlp_bias}. Its attention and residual dropouts apply in training only.
 */
@Component(service = ModelArchitecture.class)
public class SeedOssArchitecture extends DecoderFamily {

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
    record SeedOssConfig(LlamaLikeConfig common, boolean qkvBias, boolean outputBias, boolean mlpBias) {

        static SeedOssConfig from(ModelConfig c) {
            return new SeedOssConfig(
                    LlamaLikeConfig.read(c, false, "silu"),
                    c.getBoolean(true, "attention_bias"),
                    c.getBoolean(false, "attention_out_bias"),
                    c.getBoolean(false, "mlp_bias"));
        }

        DecoderLayout layout() {
            return common.layout(Blocks.attention(common.attention(qkvBias, outputBias)), common.gatedMlp(mlpBias));
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
    public DecoderLayout layout(ModelConfig config) {
        return SeedOssConfig.from(config).layout();
    }
}

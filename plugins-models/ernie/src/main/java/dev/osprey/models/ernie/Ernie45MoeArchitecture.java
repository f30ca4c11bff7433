package dev.osprey.models.ernie;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;

/**
 * ERNIE 4.5 MoE ({@code Ernie4_5_MoeForCausalLM}): ERNIE 4.5's decoder ({@link ErnieConfig}) with the layers from
 * {@code moe_layer_start_index} to {@code moe_layer_end_index}, every {@code moe_layer_interval}-th, running
 * {@link ErnieMoeLayers} instead of the dense MLP.
 */
@Component(service = ModelArchitecture.class)
public class Ernie45MoeArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of ernie4_5_moe.
     *
     * @param base the fields ERNIE 4.5 models share
     * @param moe the experts and their layers
     */
    record ErnieMoeConfig(ErnieConfig base, ErnieMoeLayers moe) {

        static ErnieMoeConfig from(ModelConfig c) {
            ErnieConfig base = ErnieConfig.from(c, 0);
            if (base.bias()) {
                // Ernie4_5_MoeForCausalLM then gives lm_head a bias, which the platform's output head lacks
                throw new IllegalArgumentException(c.source()
                        + ": use_bias true is not supported for ernie4_5_moe (it adds a bias to lm_head);"
                        + " the released ERNIE 4.5 MoE models have use_bias false");
            }
            return new ErnieMoeConfig(
                    base,
                    ErnieMoeLayers.from(
                            c, base.common().layers(), false, base.common().activation()));
        }

        DecoderLayout layout() {
            return base.layout(moe.factory(base.denseMlp()));
        }
    }

    @Override
    public String name() {
        return "ernie4_5_moe";
    }

    @Override
    public String description() {
        return "Baidu ERNIE 4.5 MoE models (ERNIE-4.5-21B-A3B, ERNIE-4.5-300B-A47B)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Ernie4_5_MoeForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return ErnieMoeConfig.from(config).layout();
    }
}

package dev.osprey.model.decoder;

import java.util.Set;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;

/**
 * A {@link ModelArchitecture} that runs on {@link DecoderModel}: subclasses read their config into a
 * {@link DecoderSpec}; building, and the usual LoRA target names, are shared.
 *
 * @deprecated model families compose {@link dev.osprey.model.spi.DecoderLayout}s through the versioned SPI
 *             ({@link dev.osprey.model.spi.DecoderFamily}), which they may extend with blocks of their own
 */
@Deprecated
public abstract class DecoderArchitecture implements ModelArchitecture {

    /** The linear layers of Llama-style checkpoints. */
    public static final Set<String> LLAMA_LINEAR_MODULES =
            Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /**
     * The spec the config describes.
     *
     * @throws IllegalArgumentException naming the config field at fault
     */
    protected abstract DecoderSpec spec(ModelConfig config);

    @Override
    public Set<String> linearModules() {
        return LLAMA_LINEAR_MODULES;
    }

    /** Freshly initialised float32 parameters (seed 0); the loader replaces them with the checkpoint's. */
    @Override
    public LanguageModel build(ModelConfig config, NDManager manager) {
        return new DecoderModel(config, spec(config), manager, DataType.FLOAT32, 0);
    }
}

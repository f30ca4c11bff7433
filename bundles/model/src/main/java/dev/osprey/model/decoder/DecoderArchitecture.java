package dev.osprey.model.decoder;

import java.util.Set;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;

/**
 * A {@link ModelArchitecture} that runs on {@link DecoderModel}: subclasses read their config into a
 * {@link DecoderSpec}, which names the built-in blocks; building, and the usual LoRA target names, are shared.
 *
 * @deprecated model families compose {@link DecoderLayout}s through the versioned SPI ({@link DecoderFamily}),
 *             which they may extend with blocks of their own
 */
@Deprecated
public abstract class DecoderArchitecture extends DecoderFamily {

    /** The linear layers of Llama-style checkpoints. */
    public static final Set<String> LLAMA_LINEAR_MODULES = DecoderFamily.LLAMA_LINEAR_MODULES;

    /**
     * The spec the config describes.
     *
     * @throws IllegalArgumentException naming the config field at fault
     */
    protected abstract DecoderSpec spec(ModelConfig config);

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return SpecLayouts.of(spec(config));
    }

    /** Freshly initialised float32 parameters (seed 0), the model's {@link DecoderModel#spec()} the config's spec. */
    @Override
    public LanguageModel build(ModelConfig config, NDManager manager) {
        return new DecoderModel(config, spec(config), manager, DataType.FLOAT32, 0);
    }
}

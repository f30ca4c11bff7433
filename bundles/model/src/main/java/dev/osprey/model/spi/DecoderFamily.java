package dev.osprey.model.spi;

import java.nio.file.Path;
import java.util.Set;

import org.osgi.annotation.versioning.ConsumerType;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.model.decoder.DecoderModel;

/**
 * A {@link ModelArchitecture} composed from SPI blocks: a subclass reads a config into a
 * {@link DecoderLayout}; the platform builds, loads, trains and serves the model it describes. Publish it
 * as a {@code ModelArchitecture} service (Declarative Services) with a reference to the engine runtime.
 */
@ConsumerType
public abstract class DecoderFamily implements ModelArchitecture {

    /** The linear layers of Llama-style checkpoints, LoRA's usual targets. */
    public static final Set<String> LLAMA_LINEAR_MODULES =
            Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /**
     * The layout the config describes.
     *
     * @throws IllegalArgumentException naming the config field at fault
     */
    public abstract DecoderLayout layout(ModelConfig config);

    /** The last name parts of the projections LoRA may target; Llama's unless overridden. */
    @Override
    public Set<String> linearModules() {
        return LLAMA_LINEAR_MODULES;
    }

    /**
     * The final logit soft cap {@code c} of the config: logits become {@code c·tanh(logits / c)} (Gemma 2's
     * {@code final_logit_softcapping}); 0, the default, for none.
     *
     * @throws IllegalArgumentException naming the config field at fault
     */
    public double finalLogitSoftcap(ModelConfig config) {
        return 0;
    }

    /**
     * Whether the output head multiplies by its weight with every row scaled to unit length,
     * {@code x·normalize(W)ᵀ} (Baichuan 2's {@code NormHead}), inside autograd as that model trains it; false, the
     * default, for a plain linear head. Such a head takes no LoRA adapter.
     *
     * @throws IllegalArgumentException naming the config field at fault
     */
    public boolean normalizedHead(ModelConfig config) {
        return false;
    }

    /**
     * The stage a multimodal family runs before the decoder's layers (vision tower, aligner, positions), or null,
     * the default, for a text model, which then refuses requests with media.
     *
     * @throws IllegalArgumentException naming the config field at fault
     */
    public MediaStageFactory mediaStage(ModelConfig config) {
        return null;
    }

    /**
     * The step that turns a prompt's media parts into this family's tokens and tensors, for the model in
     * {@code folder} (its {@code preprocessor_config.json}), or null, the default, for a text model.
     *
     * @throws IllegalArgumentException naming the config field or file at fault
     */
    public MediaProcessor mediaProcessor(ModelConfig config, Path folder) {
        return null;
    }

    /** The modules of a multimodal model, as ms-swift names them; null, the default, for a text model. */
    public MultimodalKeys multimodalKeys(ModelConfig config) {
        return null;
    }

    /**
     * The parameter a checkpoint or PEFT adapter key written under another layout of this model names
     * ({@link LanguageModel#checkpointKey}); the key itself by default.
     */
    public String checkpointKey(String key) {
        return key;
    }

    /** Freshly initialised float32 parameters (seed 0); the loader replaces them with the checkpoint's. */
    @Override
    public LanguageModel build(ModelConfig config, NDManager manager) {
        MediaStageFactory stage = mediaStage(config);
        return new DecoderModel(
                config,
                layout(config),
                finalLogitSoftcap(config),
                normalizedHead(config),
                stage == null ? null : new DecoderModel.Multimodal(stage, multimodalKeys(config), this::checkpointKey),
                manager,
                DataType.FLOAT32,
                0);
    }
}

package dev.osprey.api.model;

import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ConsumerType;

import ai.djl.ndarray.NDArray;

/**
 * A network built by a {@link ModelArchitecture}, with its parameters held in the engine.
 *
 * <p>Parameters are keyed by their checkpoint names ({@code model.layers.0.self_attn.q_proj.weight}) so
 * the platform loads safetensors by name and saves them back under the same names. Forward passes may
 * run concurrently from several threads when each uses its own {@link KvCache}; changing parameters
 * (loading, merging adapters, optimizer steps) must not overlap with forward passes. Closing the model
 * frees its parameters.
 */
@ConsumerType
public interface LanguageModel extends AutoCloseable {

    /** The configuration it was built from. */
    ModelConfig config();

    /** Every parameter by checkpoint key, in a stable order; the arrays are the live ones. */
    Map<String, NDArray> parameters();

    /** A new empty cache for {@code batchSize} sequences. */
    KvCache newCache(int batchSize);

    /**
     * One forward pass; see {@link ForwardRequest} for shapes. The logits and the arrays the cache keeps belong
     * to the caller and the cache: they outlive any {@code NDScope} open on the calling thread, whose scopes
     * free only the pass's intermediates.
     */
    ForwardResult forward(ForwardRequest request);

    /**
     * The parameter a checkpoint (or PEFT adapter) key names when it was written under another layout of the same
     * model, or the key itself. Qwen2-VL's parameters are {@code visual.*} and {@code model.layers.*}, as its
     * checkpoints on the Hub and transformers' {@code save_pretrained} store them; transformers 5 names the same
     * modules {@code model.visual.*} and {@code model.language_model.layers.*} in memory, which PEFT adapters
     * trained on it carry.
     */
    default String checkpointKey(String key) {
        return key;
    }

    /** The modules of a multimodal model (vision tower, aligner, language model), or empty for a text model. */
    default Optional<MultimodalKeys> multimodalKeys() {
        return Optional.empty();
    }

    @Override
    void close();
}

package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ProviderType;

import ai.djl.ndarray.NDArray;

/** What an {@link Attention} block gets from the pass it runs in. */
@ProviderType
public interface AttentionContext {

    /** The decoder layer this block belongs to (0-based). */
    int layer();

    /** The LoRA adapter of this pass, or null: pass it to every {@link Projection#forward}. */
    String adapter();

    /**
     * Applies the family's rotary embedding at this pass's positions (left padding and packed samples
     * counted as the model counts them); the identity when the family has none.
     *
     * @param x (B, heads, T, D)
     * @return (B, heads, T, D)
     */
    NDArray rotate(NDArray x);

    /**
     * The additive attention bias: 0 where a query may see a key (causal, inside the sliding window, not
     * padding, same packed sample), a large negative number elsewhere; null when every query may see
     * every key (one new token without padding).
     *
     * @return (B or 1, 1, 1, T, S), broadcasting against grouped scores (B, kvHeads, group, T, S)
     */
    NDArray bias();

    /**
     * The bias of a layer with a sliding window of its own (Gemma 2's and Gemma 3's local layers): {@link #bias()}
     * with the keys {@code window} or more positions before their query masked too, except keys in the query's
     * attention block ({@link StagedInputs#attentionBlocks}), as transformers ORs {@code block_sequence_ids} over its
     * sliding-window mask.
     *
     * @param window the layer's window, 0 for none (then {@link #bias()})
     * @return (B or 1, 1, 1, T, S), or null when every query may see every key
     */
    NDArray slidingBias(int window);

    /**
     * Adds this pass's keys and values to the KV cache of this layer, when the pass has one.
     *
     * @param key (B, kvHeads, T, D)
     * @param value (B, kvHeads, T, D)
     * @return {key, value} of every position, cached and new, each (B, kvHeads, S, D); the inputs themselves
     *         when the pass has no cache
     */
    NDArray[] remember(NDArray key, NDArray value);
}

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
     * Applies the family's rotary embedding to queries: {@link #rotate} unless the embedding also scales queries
     * by position ({@link RotaryEmbedding#applyToQueries}: Ministral 3's Llama 4 attention temperature).
     *
     * @param x (B, heads, T, D) queries
     * @return (B, heads, T, D)
     */
    default NDArray rotateQueries(NDArray x) {
        return rotate(x);
    }

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

    /**
     * Which new positions are real tokens: what a block that mixes positions without the attention bias (a
     * linear-attention or state-space layer, whose recurrence would otherwise carry padding) multiplies its input
     * by, as transformers' {@code apply_mask_to_padding_states} does.
     *
     * @return (B, T) 1 for a real token, 0 for padding, in the model's data type; null when the pass has no
     *         attention mask (every position is real)
     */
    NDArray paddingMask();

    /**
     * The recurrent state this layer kept in the cache after the previous pass ({@link #keepRecurrentState}): a
     * fixed-size summary of every cached position, as a linear-attention layer (a conv window and a
     * (heads, dk, dv) state) or a state-space layer (conv and SSM states) carries it from step to step, beside
     * the keys and values the other layers {@link #remember}.
     *
     * @return the arrays kept, each (B, ...); null when the pass has no cache or this layer has kept nothing
     *         yet (a prefill: start from zeros)
     */
    NDArray[] recurrentState();

    /**
     * Keeps this layer's recurrent state in the cache for the next pass, replacing (and freeing) the one kept
     * before; nothing happens when the pass has no cache (training, scoring). The cache stacks and selects the
     * rows of each array along its first axis when a scheduler regroups sequences.
     *
     * @param state the arrays to keep, each (B, ...)
     */
    void keepRecurrentState(NDArray... state);
}

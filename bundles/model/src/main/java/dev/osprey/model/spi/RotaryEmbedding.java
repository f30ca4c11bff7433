package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ConsumerType;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Rotary position embeddings (RoPE) of one kind. {@link Blocks#rope} reads every kind a Hugging Face
 * config names (default, linear, dynamic NTK incl. HunYuan's alpha, yarn, llama3, longrope); a family may
 * bring its own.
 */
@ConsumerType
public interface RotaryEmbedding {

    /** Whether the frequencies depend on the sequence length (dynamic NTK, longrope): then they are computed per pass. */
    boolean dependsOnLength();

    /** @param length cached plus new positions of the pass @return (D / 2) inverse frequencies */
    float[] inverseFrequencies(int length);

    /**
     * @param positions (B, T) position ids
     * @param inverseFrequencies from {@link #inverseFrequencies}
     * @param dataType the model's data type
     * @return the tables {@link #apply} reads for these positions (the built-in kind: cos and sin, each
     *         (B, 1, T, D), and a (D, D) half-rotation matrix)
     */
    NDArray[] cosSin(NDArray positions, float[] inverseFrequencies, DataType dataType);

    /** @param x (B, heads, T, D) @param cosSin from {@link #cosSin} @return (B, heads, T, D) rotated */
    NDArray apply(NDArray x, NDArray[] cosSin);

    /**
     * Rotates the queries or keys of decoder layer {@code layer}: {@link #apply(NDArray, NDArray[])} unless the
     * layers rotate differently (Gemma 3's local and global layers have different bases).
     *
     * @param layer the decoder layer (0-based)
     * @param x (B, heads, T, D)
     * @param cosSin from {@link #cosSin}
     * @return (B, heads, T, D) rotated
     */
    default NDArray apply(int layer, NDArray x, NDArray[] cosSin) {
        return apply(x, cosSin);
    }

    /**
     * Rotates the queries of decoder layer {@code layer}: {@link #apply(int, NDArray, NDArray[])} unless the kind
     * also scales the queries by position (Llama 4's and Ministral 3's attention temperature, whose tables
     * {@link #cosSin} then carry). Attention blocks call it for queries and {@code apply} for keys.
     *
     * @param layer the decoder layer (0-based)
     * @param x (B, heads, T, D) queries
     * @param cosSin from {@link #cosSin}
     * @return (B, heads, T, D) rotated (and scaled)
     */
    default NDArray applyToQueries(int layer, NDArray x, NDArray[] cosSin) {
        return apply(layer, x, cosSin);
    }
}

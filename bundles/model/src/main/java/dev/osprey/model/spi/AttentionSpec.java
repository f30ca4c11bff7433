package dev.osprey.model.spi;

/**
 * The built-in attention: multi-head, or grouped-query when {@code kvHeads < heads}, over projections
 * {@code q_proj}, {@code k_proj}, {@code v_proj} (or one fused {@code qkv_proj}) and {@code o_proj}; RoPE
 * from the layout; softmax(q·kᵀ / sqrt(D) + bias) in float32.
 *
 * @param heads query heads
 * @param kvHeads key/value heads, a divisor of {@code heads}
 * @param headDim features per head (D)
 * @param qkvBias biases on q, k and v
 * @param outputBias a bias on o
 * @param fusedQkv q, k and v as one {@code qkv_proj} (Phi-3), q first
 * @param qkNorms per-head q/k norms, or null for none
 */
public record AttentionSpec(
        int heads, int kvHeads, int headDim, boolean qkvBias, boolean outputBias, boolean fusedQkv, QkNorms qkNorms) {

    public AttentionSpec {
        if (heads <= 0 || kvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("attention heads (" + heads + "), key/value heads (" + kvHeads
                    + ") and head_dim (" + headDim + ") must be positive");
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(
                    "num_attention_heads (" + heads + ") must be a multiple of num_key_value_heads (" + kvHeads + ")");
        }
    }

    /** This attention with q, k and v fused into one {@code qkv_proj}. */
    public AttentionSpec withFusedQkv() {
        return new AttentionSpec(heads, kvHeads, headDim, qkvBias, outputBias, true, qkNorms);
    }

    /** This attention with per-head q/k norms. */
    public AttentionSpec withQkNorms(QkNorms norms) {
        return new AttentionSpec(heads, kvHeads, headDim, qkvBias, outputBias, fusedQkv, norms);
    }
}

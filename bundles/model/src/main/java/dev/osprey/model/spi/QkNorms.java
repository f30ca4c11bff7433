package dev.osprey.model.spi;

/**
 * Per-head norms of queries and keys (Qwen3, HunYuan), each over D features.
 *
 * @param queryNorm the query norm's name under the attention module ({@code q_norm})
 * @param keyNorm the key norm's name under the attention module ({@code k_norm})
 * @param afterRope whether they apply after the rotary embedding (HunYuan) or before it (Qwen3)
 * @param norm the kind of norm
 */
public record QkNorms(String queryNorm, String keyNorm, boolean afterRope, NormFactory norm) {

    /** Qwen3's {@code q_norm} and {@code k_norm}, before RoPE. */
    public static QkNorms beforeRope(NormFactory norm) {
        return new QkNorms("q_norm", "k_norm", false, norm);
    }
}

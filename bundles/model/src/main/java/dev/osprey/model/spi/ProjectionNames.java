package dev.osprey.model.spi;

/**
 * The module names of the built-in attention's projections under its block ({@link Blocks#attention(AttentionSpec,
 * ProjectionNames)}), for checkpoints that name them otherwise (Ling's {@code query_key_value} and {@code dense}).
 *
 * @param query the query projection ({@code q_proj})
 * @param key the key projection ({@code k_proj})
 * @param value the value projection ({@code v_proj})
 * @param fusedQkv q, k and v as one projection, q first ({@code qkv_proj})
 * @param output the output projection ({@code o_proj})
 */
public record ProjectionNames(String query, String key, String value, String fusedQkv, String output) {

    /** Llama's names. */
    public static final ProjectionNames LLAMA = new ProjectionNames("q_proj", "k_proj", "v_proj", "qkv_proj", "o_proj");

    /** These names with q, k and v fused under {@code fused} and the output projection named {@code output}. */
    public ProjectionNames withFused(String fused, String output) {
        return new ProjectionNames(query, key, value, fused, output);
    }
}

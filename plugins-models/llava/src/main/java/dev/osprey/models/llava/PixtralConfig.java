package dev.osprey.models.llava;

import dev.osprey.api.model.ModelConfig;

/**
 * {@code vision_config} of a Pixtral tower ({@code PixtralVisionConfig}).
 *
 * @param hidden {@code hidden_size}
 * @param intermediate {@code intermediate_size}
 * @param layers {@code num_hidden_layers}
 * @param heads {@code num_attention_heads}; the head width is hidden / heads, as {@code PixtralAttention} takes it
 * @param channels {@code num_channels}
 * @param imageSize {@code image_size}, the largest side the rotary table covers
 * @param patchSize {@code patch_size}
 * @param activation {@code hidden_act} of the gated MLP
 * @param ropeTheta {@code rope_parameters.rope_theta} (or {@code rope_theta})
 */
record PixtralConfig(
        int hidden,
        int intermediate,
        int layers,
        int heads,
        int channels,
        int imageSize,
        int patchSize,
        String activation,
        double ropeTheta) {

    private static final String AT = "vision_config.";

    PixtralConfig {
        if (hidden % heads != 0 || (hidden / heads) % 4 != 0) {
            throw new IllegalArgumentException(AT + "hidden_size (" + hidden + ") / num_attention_heads (" + heads
                    + ") must be a whole multiple of 4 (two rotary axes of cos and sin)");
        }
        Activations.check(activation, AT + "hidden_act");
    }

    /** transformers' defaults for the fields a config leaves out. */
    static PixtralConfig read(ModelConfig c) {
        return new PixtralConfig(
                c.getInt(1024, AT + "hidden_size"),
                c.getInt(4096, AT + "intermediate_size"),
                c.getInt(24, AT + "num_hidden_layers"),
                c.getInt(16, AT + "num_attention_heads"),
                c.getInt(3, AT + "num_channels"),
                c.getInt(1024, AT + "image_size"),
                c.getInt(16, AT + "patch_size"),
                c.getString(AT + "hidden_act").orElse("gelu"),
                c.getDouble(10000.0, AT + "rope_parameters.rope_theta", AT + "rope_theta"));
    }

    int headDim() {
        return hidden / heads;
    }

    /** Patches along the largest side: the rotary table's rows and columns. */
    int patchesPerSide() {
        return imageSize / patchSize;
    }
}

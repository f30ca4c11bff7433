package dev.osprey.models.siglip;

import java.util.Set;

import dev.osprey.api.model.ModelConfig;

/**
 * A SigLIP vision tower's {@code vision_config} ({@code SiglipVisionConfig}); fields a checkpoint leaves out take
 * transformers' defaults.
 *
 * @param hidden {@code hidden_size}
 * @param intermediate {@code intermediate_size}, the MLP's width
 * @param layers {@code num_hidden_layers}
 * @param heads {@code num_attention_heads}
 * @param channels {@code num_channels}
 * @param imageSize {@code image_size}, the square input's side in pixels
 * @param patchSize {@code patch_size}
 * @param layerNormEps {@code layer_norm_eps}
 * @param activation {@code hidden_act}
 */
public record SiglipConfig(
        int hidden,
        int intermediate,
        int layers,
        int heads,
        int channels,
        int imageSize,
        int patchSize,
        double layerNormEps,
        String activation) {

    /** The MLP activations the tower computes. */
    public static final Set<String> ACTIVATIONS = Set.of("gelu_pytorch_tanh", "gelu");

    public SiglipConfig {
        if (hidden <= 0 || heads <= 0 || hidden % heads != 0) {
            throw new IllegalArgumentException("vision_config.hidden_size (" + hidden
                    + ") must be a positive multiple of vision_config.num_attention_heads (" + heads + ")");
        }
        if (patchSize <= 0 || imageSize % patchSize != 0) {
            throw new IllegalArgumentException("vision_config.image_size (" + imageSize
                    + ") must be a multiple of vision_config.patch_size (" + patchSize + ")");
        }
        if (!ACTIVATIONS.contains(activation)) {
            throw new IllegalArgumentException(
                    "vision_config.hidden_act '" + activation + "' is not supported; supported: " + ACTIVATIONS);
        }
    }

    /** @param prefix where the fields are, {@code vision_config} */
    public static SiglipConfig read(ModelConfig c, String prefix) {
        String p = prefix + ".";
        return new SiglipConfig(
                c.getInt(768, p + "hidden_size"),
                c.getInt(3072, p + "intermediate_size"),
                c.getInt(12, p + "num_hidden_layers"),
                c.getInt(12, p + "num_attention_heads"),
                c.getInt(3, p + "num_channels"),
                c.getInt(224, p + "image_size"),
                c.getInt(16, p + "patch_size"),
                c.getDouble(1e-6, p + "layer_norm_eps"),
                c.getString(p + "hidden_act").orElse("gelu_pytorch_tanh"));
    }

    /** Patches along a side. */
    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    /** Patches of an image, the tower's output tokens. */
    public int patches() {
        return patchesPerSide() * patchesPerSide();
    }

    public int headDim() {
        return hidden / heads;
    }
}

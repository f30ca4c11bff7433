package dev.osprey.models.qwenvl;

import java.util.List;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.LlamaLikeConfig;

/**
 * The config.json of Qwen2-VL. Its language model's fields are under {@code text_config} (as transformers 5
 * writes them) or at the top level (the checkpoints on the Hub); its vision tower's under {@code vision_config}.
 *
 * @param text the Qwen2 language model
 * @param mropeSection how many of a head's rotary frequencies follow the temporal, height and width positions
 * @param vision the vision tower and patch merger
 * @param imageTokenId {@code image_token_id}: the placeholder an image's features fill
 * @param videoTokenId {@code video_token_id}
 */
record Qwen2VlConfig(
        LlamaLikeConfig text, int[] mropeSection, VisionConfig vision, long imageTokenId, long videoTokenId) {

    /**
     * {@code vision_config}.
     *
     * @param depth the number of blocks
     * @param embedDim the blocks' width
     * @param heads attention heads
     * @param mlpDim the MLP's inner width ({@code embed_dim * mlp_ratio})
     * @param activation {@code hidden_act} of the MLP ({@code quick_gelu})
     * @param patchSize pixels per patch side
     * @param temporalPatchSize frames per patch
     * @param channels {@code in_channels}
     * @param mergeSize {@code spatial_merge_size}: the merger joins merge² neighbouring patches into one token
     * @param outDim the merger's output, the language model's {@code hidden_size}
     */
    record VisionConfig(
            int depth,
            int embedDim,
            int heads,
            int mlpDim,
            String activation,
            int patchSize,
            int temporalPatchSize,
            int channels,
            int mergeSize,
            int outDim) {

        /** The features of one patch: channels x frames x pixels. */
        int patchFeatures() {
            return channels * temporalPatchSize * patchSize * patchSize;
        }

        int headDim() {
            return embedDim / heads;
        }
    }

    static Qwen2VlConfig from(ModelConfig c) {
        int hidden = c.requireInt("text_config.hidden_size", "hidden_size");
        int heads = c.requireInt("text_config.num_attention_heads", "num_attention_heads");
        int headDim = hidden / heads;
        if (hidden % heads != 0) {
            throw new IllegalArgumentException(c.source() + ": hidden_size (" + hidden
                    + ") is not a multiple of num_attention_heads (" + heads + ")");
        }
        double theta = c.getDouble(
                1000000.0,
                "text_config.rope_parameters.rope_theta",
                "text_config.rope_theta",
                "rope_parameters.rope_theta",
                "rope_theta");
        int maxPositions = c.getInt(32768, "text_config.max_position_embeddings", "max_position_embeddings");
        LlamaLikeConfig text = new LlamaLikeConfig(
                c.requireInt("text_config.vocab_size", "vocab_size"),
                hidden,
                c.requireInt("text_config.intermediate_size", "intermediate_size"),
                c.requireInt("text_config.num_hidden_layers", "num_hidden_layers"),
                heads,
                c.getInt(heads, "text_config.num_key_value_heads", "num_key_value_heads"),
                headDim,
                c.getDouble(1e-6, "text_config.rms_norm_eps", "rms_norm_eps"),
                Blocks.plainRope(theta, headDim, maxPositions),
                c.getBoolean(false, "tie_word_embeddings", "text_config.tie_word_embeddings"),
                c.getString("text_config.hidden_act", "hidden_act").orElse("silu"),
                c.getDouble(0.02, "text_config.initializer_range", "initializer_range"));
        int[] section = mropeSection(c, headDim);

        int embedDim = c.requireInt("vision_config.embed_dim");
        int visionHeads = c.requireInt("vision_config.num_heads");
        if (embedDim % visionHeads != 0 || (embedDim / visionHeads) % 4 != 0) {
            throw new IllegalArgumentException(c.source() + ": vision_config.embed_dim (" + embedDim
                    + ") must split into vision_config.num_heads (" + visionHeads
                    + ") heads of a size divisible by 4 (two rotary axes)");
        }
        VisionConfig vision = new VisionConfig(
                c.requireInt("vision_config.depth"),
                embedDim,
                visionHeads,
                (int) (embedDim * c.getDouble(4, "vision_config.mlp_ratio")),
                c.getString("vision_config.hidden_act").orElse("quick_gelu"),
                c.getInt(14, "vision_config.patch_size"),
                c.getInt(2, "vision_config.temporal_patch_size"),
                c.getInt(3, "vision_config.in_channels", "vision_config.in_chans"),
                c.getInt(2, "vision_config.spatial_merge_size"),
                c.getInt(hidden, "vision_config.hidden_size"));
        if (vision.outDim() != hidden) {
            throw new IllegalArgumentException(c.source() + ": vision_config.hidden_size (" + vision.outDim()
                    + ") must equal the language model's hidden_size (" + hidden + ")");
        }
        if (!VisionTower.ACTIVATIONS.contains(vision.activation())) {
            throw new IllegalArgumentException(c.source() + ": vision_config.hidden_act '" + vision.activation()
                    + "' is not supported (" + VisionTower.ACTIVATIONS + ")");
        }
        return new Qwen2VlConfig(
                text,
                section,
                vision,
                c.getInt(151655, "image_token_id", "text_config.image_token_id"),
                c.getInt(151656, "video_token_id", "text_config.video_token_id"));
    }

    /** {@code mrope_section} (under {@code rope_parameters} or the Hub's {@code rope_scaling}), summing to D / 2. */
    private static int[] mropeSection(ModelConfig c, int headDim) {
        Object raw = c.get(
                        "text_config.rope_parameters.mrope_section",
                        "rope_parameters.mrope_section",
                        "text_config.rope_scaling.mrope_section",
                        "rope_scaling.mrope_section")
                .orElseThrow(() -> new IllegalArgumentException(
                        c.source() + ": rope_parameters.mrope_section (or rope_scaling.mrope_section) is missing"));
        if (!(raw instanceof List<?> list) || list.size() != 3) {
            throw new IllegalArgumentException(
                    c.source() + ": mrope_section must list 3 sizes (temporal, height, width), was " + raw);
        }
        int[] section = new int[3];
        int sum = 0;
        for (int i = 0; i < 3; i++) {
            section[i] = ((Number) list.get(i)).intValue();
            sum += section[i];
        }
        if (sum != headDim / 2) {
            throw new IllegalArgumentException(
                    c.source() + ": mrope_section " + list + " must sum to head_dim / 2 = " + headDim / 2);
        }
        return section;
    }
}

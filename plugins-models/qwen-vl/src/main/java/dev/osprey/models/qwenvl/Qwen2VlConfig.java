package dev.osprey.models.qwenvl;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

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
     * @param rmsNorm RMSNorms (Qwen2.5-VL) rather than LayerNorms
     * @param gatedMlp a gated MLP ({@code gate_proj}, {@code up_proj}, {@code down_proj}; Qwen2.5-VL) rather than
     *        {@code fc1}, {@code fc2}
     * @param windowSize the side in pixels of the windows the blocks outside {@code fullAttentionBlocks} attend
     *        within (Qwen2.5-VL's {@code window_size}); 0 for every block attending over its whole item
     * @param fullAttentionBlocks the blocks that attend over the whole item when there are windows
     * @param tokensPerSecond how far a video's temporal position moves per second (Qwen2.5-VL); 0 for one step per
     *        frame group (Qwen2-VL)
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
            int outDim,
            boolean rmsNorm,
            boolean gatedMlp,
            int windowSize,
            Set<Integer> fullAttentionBlocks,
            int tokensPerSecond) {

        /** The features of one patch: channels x frames x pixels. */
        int patchFeatures() {
            return channels * temporalPatchSize * patchSize * patchSize;
        }

        int headDim() {
            return embedDim / heads;
        }
    }

    /** Qwen2-VL's config. */
    static Qwen2VlConfig from(ModelConfig c) {
        return from(c, false);
    }

    /** Qwen2.5-VL's config: its vision tower has RMSNorms, a gated MLP and window attention. */
    static Qwen2VlConfig qwen25(ModelConfig c) {
        return from(c, true);
    }

    private static Qwen2VlConfig from(ModelConfig c, boolean qwen25) {
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

        VisionConfig vision = qwen25 ? qwen25Vision(c) : qwen2Vision(c, hidden);
        if (vision.embedDim() % vision.heads() != 0 || vision.headDim() % 4 != 0) {
            throw new IllegalArgumentException(c.source() + ": the vision width (" + vision.embedDim()
                    + ") must split into vision_config.num_heads (" + vision.heads()
                    + ") heads of a size divisible by 4 (two rotary axes)");
        }
        if (vision.outDim() != hidden) {
            throw new IllegalArgumentException(c.source() + ": the vision merger's output (vision_config."
                    + (qwen25 ? "out_hidden_size" : "hidden_size") + " = " + vision.outDim()
                    + ") must equal the language model's hidden_size (" + hidden + ")");
        }
        Set<String> activations = vision.gatedMlp() ? Blocks.ACTIVATIONS : VisionTower.ACTIVATIONS;
        if (!activations.contains(vision.activation())) {
            throw new IllegalArgumentException(c.source() + ": vision_config.hidden_act '" + vision.activation()
                    + "' is not supported (" + activations + ")");
        }
        return new Qwen2VlConfig(
                text,
                section,
                vision,
                c.getInt(151655, "image_token_id", "text_config.image_token_id"),
                c.getInt(151656, "video_token_id", "text_config.video_token_id"));
    }

    /** Qwen2-VL's {@code vision_config}: {@code embed_dim} wide, {@code mlp_ratio}, {@code hidden_size} out. */
    private static VisionConfig qwen2Vision(ModelConfig c, int hidden) {
        int embedDim = c.requireInt("vision_config.embed_dim");
        return new VisionConfig(
                c.requireInt("vision_config.depth"),
                embedDim,
                c.requireInt("vision_config.num_heads"),
                (int) (embedDim * c.getDouble(4, "vision_config.mlp_ratio")),
                c.getString("vision_config.hidden_act").orElse("quick_gelu"),
                c.getInt(14, "vision_config.patch_size"),
                c.getInt(2, "vision_config.temporal_patch_size"),
                c.getInt(3, "vision_config.in_channels", "vision_config.in_chans"),
                c.getInt(2, "vision_config.spatial_merge_size"),
                c.getInt(hidden, "vision_config.hidden_size"),
                false,
                false,
                0,
                Set.of(),
                0);
    }

    /**
     * Qwen2.5-VL's {@code vision_config}: {@code hidden_size} wide, {@code intermediate_size}, {@code out_hidden_size}
     * out, windows of {@code window_size} pixels except in {@code fullatt_block_indexes}.
     */
    private static VisionConfig qwen25Vision(ModelConfig c) {
        int patch = c.getInt(14, "vision_config.patch_size");
        int merge = c.getInt(2, "vision_config.spatial_merge_size");
        int window = c.getInt(112, "vision_config.window_size");
        if (window < patch * merge || window % (patch * merge) != 0) {
            throw new IllegalArgumentException(c.source() + ": vision_config.window_size (" + window
                    + ") must be a multiple of patch_size x spatial_merge_size (" + patch * merge + ")");
        }
        Set<Integer> full = new TreeSet<>();
        Object listed = c.get("vision_config.fullatt_block_indexes").orElse(List.of(7, 15, 23, 31));
        if (!(listed instanceof List<?> indexes)) {
            throw new IllegalArgumentException(
                    c.source() + ": vision_config.fullatt_block_indexes must be a list, was " + listed);
        }
        for (Object i : indexes) {
            full.add(((Number) i).intValue());
        }
        return new VisionConfig(
                c.requireInt("vision_config.depth"),
                c.requireInt("vision_config.hidden_size"),
                c.requireInt("vision_config.num_heads"),
                c.requireInt("vision_config.intermediate_size"),
                c.getString("vision_config.hidden_act").orElse("silu"),
                patch,
                c.getInt(2, "vision_config.temporal_patch_size"),
                c.getInt(3, "vision_config.in_channels", "vision_config.in_chans"),
                merge,
                c.requireInt("vision_config.out_hidden_size"),
                true,
                true,
                window,
                Set.copyOf(full),
                c.getInt(4, "vision_config.tokens_per_second"));
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

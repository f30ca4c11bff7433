package dev.osprey.models.qwenvl;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.Experts;
import dev.osprey.model.spi.LlamaLikeConfig;

/**
 * The config.json of Qwen2-VL, Qwen2.5-VL and Qwen3-VL. Its language model's fields are under {@code text_config}
 * (as transformers 5 writes them) or at the top level (Qwen2-VL's checkpoints on the Hub); its vision tower's under
 * {@code vision_config}.
 *
 * @param text the language model: Qwen2's, or Qwen3's (with {@code head_dim})
 * @param mropeSection how many of a head's rotary frequencies follow the temporal, height and width positions
 * @param vision the vision tower and patch merger
 * @param imageTokenId {@code image_token_id}: the placeholder an image's features fill
 * @param videoTokenId {@code video_token_id}
 * @param qwen3 Qwen3-VL's language model, or null for Qwen2's
 */
record Qwen2VlConfig(
        LlamaLikeConfig text,
        int[] mropeSection,
        VisionConfig vision,
        long imageTokenId,
        long videoTokenId,
        Qwen3Text qwen3) {

    /** The generations of the family, which differ in their vision towers and language models. */
    enum Generation {
        QWEN2,
        QWEN25,
        QWEN3
    }

    /**
     * What Qwen3-VL's language model adds to Qwen2's: RMSNorms over each head of q and k, M-RoPE's frequencies
     * interleaved over the axes ({@code mrope_interleaved}), and in Qwen3-VL-MoE a mixture of experts.
     *
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     * @param experts Qwen3-VL-MoE's experts ({@code num_experts}, ...), or null for the dense model's MLP
     */
    record Qwen3Text(boolean attentionBias, Experts experts) {}

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
     * @param positionEmbeddings Qwen3-VL's {@code num_position_embeddings}: a learned table of that many (a square
     *        grid) positions, bilinearly interpolated to each item's patches; 0 for none
     * @param deepstackLayers Qwen3-VL's {@code deepstack_visual_indexes}: the blocks whose merged outputs are added
     *        to the first language-model layers' outputs (DeepStack), in order
     * @param qwen3 Qwen3-VL's names and biases: a bias on the patch embedding, {@code linear_fc1}/{@code linear_fc2}
     *        MLPs, the merger's {@code norm}/{@code linear_fc1}/{@code linear_fc2}
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
            int tokensPerSecond,
            int positionEmbeddings,
            List<Integer> deepstackLayers,
            boolean qwen3) {

        VisionConfig {
            deepstackLayers = List.copyOf(deepstackLayers);
        }

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
        return from(c, Generation.QWEN2, false);
    }

    /** Qwen2.5-VL's config: its vision tower has RMSNorms, a gated MLP and window attention. */
    static Qwen2VlConfig qwen25(ModelConfig c) {
        return from(c, Generation.QWEN25, false);
    }

    /**
     * Qwen3-VL's config: learned, interpolated position embeddings and DeepStack mergers in the vision tower, a
     * Qwen3 language model.
     *
     * @param moe Qwen3-VL-MoE: the language model's MLPs are mixtures of experts
     */
    static Qwen2VlConfig qwen3(ModelConfig c, boolean moe) {
        return from(c, Generation.QWEN3, moe);
    }

    private static Qwen2VlConfig from(ModelConfig c, Generation generation, boolean moe) {
        int hidden = c.requireInt("text_config.hidden_size", "hidden_size");
        int heads = c.requireInt("text_config.num_attention_heads", "num_attention_heads");
        boolean qwen3 = generation == Generation.QWEN3;
        if (!qwen3 && hidden % heads != 0) {
            throw new IllegalArgumentException(c.source() + ": hidden_size (" + hidden
                    + ") is not a multiple of num_attention_heads (" + heads + ")");
        }
        int headDim = qwen3 ? c.getInt(hidden / heads, "text_config.head_dim", "head_dim") : hidden / heads;
        double theta = c.getDouble(
                qwen3 ? 5000000.0 : 1000000.0,
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

        VisionConfig vision = switch (generation) {
            case QWEN2 -> qwen2Vision(c, hidden);
            case QWEN25 -> qwen25Vision(c);
            case QWEN3 -> qwen3Vision(c);
        };
        if (vision.embedDim() % vision.heads() != 0 || vision.headDim() % 4 != 0) {
            throw new IllegalArgumentException(c.source() + ": the vision width (" + vision.embedDim()
                    + ") must split into vision_config.num_heads (" + vision.heads()
                    + ") heads of a size divisible by 4 (two rotary axes)");
        }
        if (vision.outDim() != hidden) {
            throw new IllegalArgumentException(c.source() + ": the vision merger's output (vision_config."
                    + (generation == Generation.QWEN2 ? "hidden_size" : "out_hidden_size") + " = "
                    + vision.outDim() + ") must equal the language model's hidden_size (" + hidden + ")");
        }
        Set<String> activations = vision.gatedMlp() ? Blocks.ACTIVATIONS : VisionTower.ACTIVATIONS;
        if (!activations.contains(vision.activation())) {
            throw new IllegalArgumentException(c.source() + ": vision_config.hidden_act '" + vision.activation()
                    + "' is not supported (" + activations + ")");
        }
        int layers = text.layers();
        for (int layer : vision.deepstackLayers()) {
            if (layer < 0 || layer >= vision.depth()) {
                throw new IllegalArgumentException(c.source() + ": vision_config.deepstack_visual_indexes "
                        + vision.deepstackLayers() + " must name vision blocks (0 to " + (vision.depth() - 1) + ")");
            }
        }
        if (vision.deepstackLayers().size() > layers) {
            throw new IllegalArgumentException(c.source() + ": vision_config.deepstack_visual_indexes has "
                    + vision.deepstackLayers().size() + " layers, more than the " + layers + " of the language model");
        }
        if (moe && !VisionTower.ACTIVATIONS.contains(text.activation())) {
            throw new IllegalArgumentException(c.source() + ": text_config.hidden_act '" + text.activation()
                    + "' is not supported for the experts (" + VisionTower.ACTIVATIONS + ")");
        }
        return new Qwen2VlConfig(
                text,
                section,
                vision,
                c.getInt(151655, "image_token_id", "text_config.image_token_id"),
                c.getInt(151656, "video_token_id", "text_config.video_token_id"),
                qwen3
                        ? new Qwen3Text(
                                c.getBoolean(false, "text_config.attention_bias", "attention_bias"),
                                moe ? experts(c, layers) : null)
                        : null);
    }

    /**
     * Qwen3-VL-MoE's experts: {@code num_experts} of {@code moe_intermediate_size}, {@code num_experts_per_tok} per
     * token, in every layer but those of {@code mlp_only_layers} and those {@code decoder_sparse_step} skips.
     */
    private static Experts experts(ModelConfig c, int layers) {
        int step = c.getInt(1, "text_config.decoder_sparse_step");
        Set<Integer> dense = new TreeSet<>();
        c.get("text_config.mlp_only_layers")
                .filter(List.class::isInstance)
                .ifPresent(v -> ((List<?>) v).forEach(x -> dense.add(((Number) x).intValue())));
        for (int i = 0; i < layers; i++) {
            if (step <= 0 || (i + 1) % step != 0) {
                dense.add(i);
            }
        }
        return new Experts(
                c.requireInt("text_config.num_experts", "text_config.num_local_experts"),
                c.requireInt("text_config.num_experts_per_tok"),
                true, // the router renormalises always (norm_topk_prob is not read)
                c.requireInt("text_config.moe_intermediate_size"),
                List.of("gate_proj", "up_proj", "down_proj"),
                dense,
                0);
    }

    /**
     * Qwen3-VL's {@code vision_config}: {@code hidden_size} wide, {@code intermediate_size}, {@code out_hidden_size}
     * out, {@code num_position_embeddings} learned positions, DeepStack mergers after
     * {@code deepstack_visual_indexes}.
     */
    static VisionConfig qwen3Vision(ModelConfig c) {
        List<Integer> deepstack = new ArrayList<>();
        Object listed = c.get("vision_config.deepstack_visual_indexes").orElse(List.of(8, 16, 24));
        if (!(listed instanceof List<?> indexes)) {
            throw new IllegalArgumentException(
                    c.source() + ": vision_config.deepstack_visual_indexes must be a list, was " + listed);
        }
        for (Object i : indexes) {
            deepstack.add(((Number) i).intValue());
        }
        int positions = c.getInt(2304, "vision_config.num_position_embeddings");
        int side = (int) Math.round(Math.sqrt(positions));
        if (side * side != positions) {
            throw new IllegalArgumentException(c.source() + ": vision_config.num_position_embeddings (" + positions
                    + ") must be a square (a grid of learned positions)");
        }
        return new VisionConfig(
                c.requireInt("vision_config.depth"),
                c.requireInt("vision_config.hidden_size"),
                c.requireInt("vision_config.num_heads"),
                c.requireInt("vision_config.intermediate_size"),
                c.getString("vision_config.hidden_act").orElse("gelu_pytorch_tanh"),
                c.getInt(16, "vision_config.patch_size"),
                c.getInt(2, "vision_config.temporal_patch_size"),
                c.getInt(3, "vision_config.in_channels"),
                c.getInt(2, "vision_config.spatial_merge_size"),
                c.requireInt("vision_config.out_hidden_size"),
                false,
                false,
                0,
                Set.of(),
                0,
                positions,
                deepstack,
                true);
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
                0,
                0,
                List.of(),
                false);
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
                c.getInt(4, "vision_config.tokens_per_second"),
                0,
                List.of(),
                false);
    }

    /** {@code mrope_section} (under {@code rope_parameters} or the Hub's {@code rope_scaling}), summing to D / 2. */
    static int[] mropeSection(ModelConfig c, int headDim) {
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

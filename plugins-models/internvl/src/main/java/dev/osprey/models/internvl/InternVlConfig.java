package dev.osprey.models.internvl;

import java.nio.file.Path;
import java.util.List;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.TokenizerFiles;

/**
 * The config.json of an InternVL model, in either format: the original remote code's ({@code internvl_chat}:
 * {@code vision_config}, {@code llm_config}, {@code select_layer}, {@code ps_version}) or transformers'
 * ({@code internvl}: {@code vision_config}, {@code text_config}, {@code vision_feature_layer}).
 *
 * @param names where the vision tower and projector keep their parameters
 * @param vision the vision tower
 * @param language the language model's own config ({@code llm_config} or {@code text_config})
 * @param shuffle how many patches per side the pixel shuffle joins ({@code 1 / downsample_ratio})
 * @param transposedShuffle the pixel shuffle of {@code ps_version} v1, which leaves rows and columns swapped
 * @param selectLayer which of the tower's hidden states the projector takes ({@code select_layer},
 *        {@code vision_feature_layer}): -1 the last, k >= 0 after k blocks
 * @param imageTokenId the {@code <IMG_CONTEXT>} token an image tile's features fill
 * @param projectorEps the projector LayerNorm's eps (torch's default)
 */
record InternVlConfig(
        TowerNames names,
        VisionConfig vision,
        ModelConfig language,
        int shuffle,
        boolean transposedShuffle,
        int selectLayer,
        long imageTokenId,
        double projectorEps) {

    /** The placeholder InternVL's chat code and processor repeat for each tile's features. */
    static final String IMAGE_CONTEXT = "<IMG_CONTEXT>";

    /**
     * {@code vision_config} (InternViT).
     *
     * @param hidden the blocks' width
     * @param layers blocks
     * @param heads attention heads
     * @param intermediate the MLP's width
     * @param activation the MLP's {@code hidden_act}
     * @param imageSize a tile's side in pixels
     * @param patchSize a patch's side in pixels
     * @param channels colour channels
     * @param rmsNorm RMSNorms (InternViT-6B, {@code norm_type: rms_norm}) rather than LayerNorms
     * @param qkNorm RMSNorms over the queries and keys (InternViT-6B's {@code qk_normalization})
     * @param qkvBias biases on q, k and v
     * @param eps the norms' {@code layer_norm_eps}
     * @param positions learned absolute position embeddings
     * @param finalNorm a LayerNorm after the last block (transformers' {@code use_mean_pooling: false})
     */
    record VisionConfig(
            int hidden,
            int layers,
            int heads,
            int intermediate,
            String activation,
            int imageSize,
            int patchSize,
            int channels,
            boolean rmsNorm,
            boolean qkNorm,
            boolean qkvBias,
            double eps,
            boolean positions,
            boolean finalNorm) {

        /** Patches per tile side. */
        int grid() {
            return imageSize / patchSize;
        }

        int headDim() {
            return hidden / heads;
        }
    }

    /** Image tokens per tile: the patches after the pixel shuffle joined shuffle² of them. */
    int tokensPerTile() {
        int side = vision.grid() / shuffle;
        return side * side;
    }

    /** The original format's config ({@code InternVLChatConfig}). */
    static InternVlConfig chat(ModelConfig c) {
        if (c.get("force_image_size").isPresent()
                && side(c, "force_image_size") != side(c, "vision_config.image_size")) {
            // the released models tile at the tower's own size; other sizes would interpolate its position table
            throw new IllegalArgumentException(c.source() + ": force_image_size (" + side(c, "force_image_size")
                    + ") differs from vision_config.image_size (" + side(c, "vision_config.image_size")
                    + "); interpolating the position embeddings to another tile size is not supported");
        }
        VisionConfig v = new VisionConfig(
                c.requireInt("vision_config.hidden_size"),
                c.requireInt("vision_config.num_hidden_layers"),
                c.requireInt("vision_config.num_attention_heads"),
                c.requireInt("vision_config.intermediate_size"),
                c.getString("vision_config.hidden_act").orElse("gelu"),
                side(c, "vision_config.image_size"),
                side(c, "vision_config.patch_size"),
                c.getInt(3, "vision_config.num_channels"),
                normType(c, "rms_norm"),
                c.getBoolean(true, "vision_config.qk_normalization"),
                c.getBoolean(false, "vision_config.qkv_bias"),
                c.getDouble(1e-6, "vision_config.layer_norm_eps"),
                true,
                false);
        String psVersion = c.getString("ps_version").orElse("v1");
        if (!psVersion.equals("v1") && !psVersion.equals("v2")) {
            throw new IllegalArgumentException(
                    c.source() + ": ps_version '" + psVersion + "' is not one of InternVL's pixel shuffles (v1, v2)");
        }
        return check(
                c,
                new InternVlConfig(
                        TowerNames.CHAT,
                        v,
                        new ConfigSection(c, "llm_config"),
                        shuffle(c),
                        psVersion.equals("v1"),
                        c.getInt(-1, "select_layer"),
                        imageContextToken(c),
                        1e-5),
                "select_layer");
    }

    /** transformers' format ({@code InternVLConfig}). */
    static InternVlConfig hf(ModelConfig c) {
        String strategy = c.getString("vision_feature_select_strategy").orElse("default");
        if (!strategy.equals("default")) {
            throw new IllegalArgumentException(c.source() + ": vision_feature_select_strategy '" + strategy
                    + "' is not supported (default: the class token dropped)");
        }
        String projector = c.getString("projector_hidden_act").orElse("gelu");
        if (!projector.equals("gelu")) {
            throw new IllegalArgumentException(
                    c.source() + ": projector_hidden_act '" + projector + "' is not supported (gelu)");
        }
        VisionConfig v = new VisionConfig(
                c.requireInt("vision_config.hidden_size"),
                c.requireInt("vision_config.num_hidden_layers"),
                c.requireInt("vision_config.num_attention_heads"),
                c.requireInt("vision_config.intermediate_size"),
                c.getString("vision_config.hidden_act").orElse("gelu"),
                c.get("vision_config.image_size").isPresent() ? side(c, "vision_config.image_size") : 448,
                c.get("vision_config.patch_size").isPresent() ? side(c, "vision_config.patch_size") : 14,
                c.getInt(3, "vision_config.num_channels"),
                normType(c, "layer_norm"),
                c.getBoolean(false, "vision_config.use_qk_norm"),
                c.getBoolean(false, "vision_config.attention_bias"),
                c.getDouble(1e-6, "vision_config.layer_norm_eps"),
                c.getBoolean(true, "vision_config.use_absolute_position_embeddings"),
                !c.getBoolean(true, "vision_config.use_mean_pooling"));
        return check(
                c,
                new InternVlConfig(
                        TowerNames.HF,
                        v,
                        new ConfigSection(c, "text_config"),
                        shuffle(c),
                        false,
                        c.getInt(-1, "vision_feature_layer"),
                        c.getInt(151667, "image_token_id"),
                        1e-5),
                "vision_feature_layer");
    }

    private static InternVlConfig check(ModelConfig c, InternVlConfig config, String layerField) {
        VisionConfig v = config.vision();
        if (v.hidden() % v.heads() != 0) {
            throw new IllegalArgumentException(c.source() + ": vision_config.hidden_size (" + v.hidden()
                    + ") is not a multiple of vision_config.num_attention_heads (" + v.heads() + ")");
        }
        if (v.imageSize() % v.patchSize() != 0 || v.grid() % config.shuffle() != 0) {
            throw new IllegalArgumentException(c.source() + ": the tile side (" + v.imageSize()
                    + " pixels) must be a whole number of patches (" + v.patchSize()
                    + " pixels) that the pixel shuffle's " + config.shuffle() + " divides");
        }
        if (!v.activation().equals("gelu")) {
            throw new IllegalArgumentException(
                    c.source() + ": vision_config.hidden_act '" + v.activation() + "' is not supported (gelu)");
        }
        int layer = config.selectLayer();
        if (layer < -v.layers() - 1 || layer > v.layers()) {
            throw new IllegalArgumentException(c.source() + ": " + layerField + " (" + layer
                    + ") is not a hidden state of a " + v.layers() + "-block vision tower");
        }
        return config;
    }

    /** {@code vision_config.norm_type}: rms_norm or layer_norm. */
    private static boolean normType(ModelConfig c, String fallback) {
        String type = c.getString("vision_config.norm_type").orElse(fallback);
        return switch (type) {
            case "rms_norm" -> true;
            case "layer_norm" -> false;
            default ->
                throw new IllegalArgumentException(c.source() + ": vision_config.norm_type '" + type
                        + "' is not supported (rms_norm, layer_norm)");
        };
    }

    /** {@code 1 / downsample_ratio}, a whole number. */
    private static int shuffle(ModelConfig c) {
        double ratio = c.getDouble(0.5, "downsample_ratio");
        long factor = Math.round(1 / ratio);
        if (ratio <= 0 || Math.abs(factor * ratio - 1) > 1e-9) {
            throw new IllegalArgumentException(
                    c.source() + ": downsample_ratio (" + ratio + ") must be 1 / a whole number");
        }
        return (int) factor;
    }

    /** A side in pixels: a number, or transformers' [height, width] of equal sides. */
    private static int side(ModelConfig c, String field) {
        Object value = c.get(field)
                .orElseThrow(
                        () -> new IllegalArgumentException(c.source() + ": required field '" + field + "' is missing"));
        if (value instanceof Number n) {
            return n.intValue();
        }
        if (value instanceof List<?> l
                && l.size() == 2
                && l.get(0) instanceof Number h
                && l.get(1) instanceof Number w
                && h.intValue() == w.intValue()) {
            return h.intValue();
        }
        throw new IllegalArgumentException(
                c.source() + ": " + field + " must be a number or [side, side] (square tiles), was " + value);
    }

    /**
     * The id of {@code <IMG_CONTEXT>}: the chat format's config does not hold it (its code asks the tokenizer), so it
     * is the config's {@code img_context_token_id} if given, else the tokenizer's ({@link TokenizerFiles}) beside it.
     */
    static long imageContextToken(ModelConfig c) {
        if (c.get("img_context_token_id").isPresent()) {
            return c.requireInt("img_context_token_id");
        }
        Path folder = c.source() == null ? null : c.source().toAbsolutePath().getParent();
        if (folder == null) {
            throw new IllegalArgumentException("a config without a folder: the id of " + IMAGE_CONTEXT
                    + " needs img_context_token_id or the tokenizer's files");
        }
        return TokenizerFiles.id(folder, IMAGE_CONTEXT)
                .orElseThrow(() -> new IllegalArgumentException(c.source() + ": the id of " + IMAGE_CONTEXT
                        + " is in none of [added_tokens.json, tokenizer_config.json, tokenizer.json] beside it,"
                        + " nor in img_context_token_id"));
    }
}

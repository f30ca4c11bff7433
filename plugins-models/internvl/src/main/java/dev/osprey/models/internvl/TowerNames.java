package dev.osprey.models.internvl;

/**
 * Where each format's checkpoints keep the vision tower's and the projector's parameters: the remote code's
 * {@code vision_model.*} and {@code mlp1.*}, or the names transformers 5.12's {@code save_pretrained} writes for
 * {@code InternVLForConditionalGeneration}, {@code vision_tower.*} and {@code multi_modal_projector.*}.
 *
 * @param tower the vision tower, ms-swift's {@code vision_tower}
 * @param classToken the class token (1, 1, E), under the tower
 * @param patchEmbedding the patch embedding conv, under the tower
 * @param positionEmbedding the position embeddings (1, 1 + patches, E), under the tower
 * @param layers the blocks' prefix, under the tower
 * @param norm1 the norm before attention, under a block
 * @param norm2 the norm before the MLP, under a block
 * @param qkv the fused q, k, v projection, or null where they are {@code q_proj}, {@code k_proj}, {@code v_proj}
 * @param attention the attention module, under a block
 * @param output the attention's output projection, under the attention
 * @param scale1 the attention's layer scale, under a block
 * @param scale2 the MLP's layer scale, under a block
 * @param finalNorm the norm after the last block, under the tower
 * @param projector the projector, ms-swift's {@code aligner}
 * @param projectorNorm its LayerNorm, under it
 * @param projectorUp its first linear, under it
 * @param projectorDown its second linear, under it
 */
record TowerNames(
        String tower,
        String classToken,
        String patchEmbedding,
        String positionEmbedding,
        String layers,
        String norm1,
        String norm2,
        String qkv,
        String attention,
        String output,
        String scale1,
        String scale2,
        String finalNorm,
        String projector,
        String projectorNorm,
        String projectorUp,
        String projectorDown) {

    /** OpenGVLab's remote code ({@code InternVLChatModel}, {@code InternVisionModel}). */
    static final TowerNames CHAT = new TowerNames(
            "vision_model",
            "embeddings.class_embedding",
            "embeddings.patch_embedding",
            "embeddings.position_embedding",
            "encoder.layers",
            "norm1",
            "norm2",
            "qkv",
            "attn",
            "proj",
            "ls1",
            "ls2",
            null,
            "mlp1",
            "0",
            "1",
            "3");

    /** transformers' {@code InternVLForConditionalGeneration} as its save_pretrained writes it. */
    static final TowerNames HF = new TowerNames(
            "vision_tower",
            "embeddings.cls_token",
            "embeddings.patch_embeddings.projection",
            "embeddings.position_embeddings",
            "encoder.layer",
            "layernorm_before",
            "layernorm_after",
            null,
            "attention",
            "projection_layer",
            "lambda_1",
            "lambda_2",
            "layernorm",
            "multi_modal_projector",
            "layer_norm",
            "linear_1",
            "linear_2");
}

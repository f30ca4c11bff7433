package dev.osprey.models.qwenvl;

import java.util.List;
import java.util.Map;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.TextConfigSection;
import dev.osprey.models.qwen.hybrid.HybridDecoders;

/**
 * The config.json of Qwen3.5 ({@code qwen3_5}): Qwen3-VL's {@code vision_config} without DeepStack (transformers'
 * Qwen3.5 vision model drops {@code deepstack_visual_indexes}), and a {@code text_config} of Qwen3-Next's hybrid
 * layers ({@link HybridDecoders#qwen35}) whose rotary features follow interleaved M-RoPE.
 *
 * @param text the language model's section of the config
 * @param decoder the language model, its rotary embedding plain and its keys Qwen3-Next's
 * @param media what the vision stage and the processor read: the vision tower, the placeholder ids, M-RoPE's sections
 */
record Qwen35Config(TextConfigSection text, DecoderLayout decoder, Qwen2VlConfig media) {

    /**
     * @param moe Qwen3.5-MoE ({@code qwen3_5_moe}): every layer's MLP is experts, routed as Qwen3-VL-MoE's (always
     *     renormalised), with Qwen3-Next's sigmoid-gated shared expert; its text config has no dense
     *     {@code intermediate_size}
     */
    static Qwen35Config from(ModelConfig c, boolean moe) {
        // transformers' Qwen3.5-MoE text config deletes the fields its router and layers do not read
        Map<String, Object> defaults = moe
                ? Map.of(
                        "norm_topk_prob",
                        true,
                        "decoder_sparse_step",
                        1,
                        "intermediate_size",
                        c.getInt(1, "text_config.moe_intermediate_size"))
                : Map.of();
        TextConfigSection text = new TextConfigSection(
                c, c.getString("text_config.model_type").orElse(moe ? "qwen3_5_moe_text" : "qwen3_5_text"), defaults);
        if (moe && text.get("num_experts").isEmpty()) {
            throw new IllegalArgumentException(c.source() + ": qwen3_5_moe needs text_config.num_experts");
        }
        DecoderLayout decoder = HybridDecoders.qwen35(text);
        // M-RoPE splits the rotary frequencies only: partial_rotary_factor of each head
        int rotaryDim = 2 * decoder.rope().inverseFrequencies(1).length;
        int[] section = Qwen2VlConfig.mropeSection(c, rotaryDim);
        Qwen2VlConfig.VisionConfig v = Qwen2VlConfig.qwen3Vision(c);
        Qwen2VlConfig.VisionConfig vision = new Qwen2VlConfig.VisionConfig(
                v.depth(),
                v.embedDim(),
                v.heads(),
                v.mlpDim(),
                v.activation(),
                v.patchSize(),
                v.temporalPatchSize(),
                v.channels(),
                v.mergeSize(),
                v.outDim(),
                v.rmsNorm(),
                v.gatedMlp(),
                v.windowSize(),
                v.fullAttentionBlocks(),
                v.tokensPerSecond(),
                v.positionEmbeddings(),
                List.of(), // no DeepStack
                v.qwen3());
        if (vision.outDim() != decoder.hiddenSize()) {
            throw new IllegalArgumentException(
                    c.source() + ": the vision merger's output (vision_config.out_hidden_size"
                            + " = " + vision.outDim() + ") must equal the language model's hidden_size ("
                            + decoder.hiddenSize() + ")");
        }
        if (!VisionTower.ACTIVATIONS.contains(vision.activation())) {
            throw new IllegalArgumentException(c.source() + ": vision_config.hidden_act '" + vision.activation()
                    + "' is not supported (" + VisionTower.ACTIVATIONS + ")");
        }
        LlamaLikeConfig common = LlamaLikeConfig.read(text, false, "silu");
        Qwen2VlConfig media = new Qwen2VlConfig(
                common,
                section,
                vision,
                c.getInt(248056, "image_token_id", "text_config.image_token_id"),
                c.getInt(248057, "video_token_id", "text_config.video_token_id"),
                new Qwen2VlConfig.Qwen3Text(text.getBoolean(false, "attention_bias"), null));
        return new Qwen35Config(text, decoder, media);
    }
}

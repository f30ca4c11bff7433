package dev.osprey.models.qwenvl;

import java.nio.file.Path;
import java.util.List;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.Experts;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.model.spi.MediaStageFactory;
import dev.osprey.model.spi.QkNorms;

/**
 * What Qwen2-VL, Qwen2.5-VL and Qwen3-VL share: a vision tower and patch merger ({@link Qwen2VlStage}) before a Qwen
 * decoder whose rotary embedding is M-RoPE ({@link MRope}): Qwen2's (q/k/v biases, SwiGLU), or Qwen3's (q/k norms;
 * in Qwen3-VL-MoE a mixture of experts) with interleaved M-RoPE.
 *
 * <p>Parameters carry the names of the checkpoints on the Hub, which transformers 5's {@code save_pretrained}
 * still writes: {@code visual.*}, {@code model.layers.*}, {@code model.embed_tokens}, {@code lm_head}. The names
 * transformers 5 gives the same modules in memory ({@code model.visual.*}, {@code model.language_model.*}), which
 * PEFT adapters trained on it carry, load too ({@link #checkpointKey}).
 */
abstract class QwenVlFamily extends DecoderFamily {

    /** The vision tower's checkpoint prefix, ms-swift's {@code vision_tower}. */
    static final String VISION_TOWER = "visual";

    /** The aligner's checkpoint prefix, ms-swift's {@code aligner}. */
    static final String ALIGNER = "visual.merger";

    /** Qwen3-VL's vision tower, where transformers 5 keeps it and its checkpoints on the Hub store it. */
    static final String QWEN3_VISION_TOWER = "model.visual";

    /** Qwen3-VL's language model's blocks: {@code model.language_model.*}, {@code lm_head}. */
    static final CheckpointKeys LANGUAGE_MODEL_KEYS = new CheckpointKeys(
            "model.language_model.embed_tokens",
            "model.language_model.layers",
            "model.language_model.norm",
            "lm_head",
            "input_layernorm",
            "self_attn",
            "post_attention_layernorm",
            "mlp");

    /** The config.json of this family. */
    abstract Qwen2VlConfig config(ModelConfig config);

    @Override
    public DecoderLayout layout(ModelConfig config) {
        Qwen2VlConfig c = config(config);
        if (c.qwen3() != null) {
            return qwen3Layout(c);
        }
        return c.text()
                .layout(
                        Blocks.attention(c.text().attention(true, false)),
                        c.text().gatedMlp(false))
                .withRope(new MRope(c.text().rope(), c.mropeSection(), false));
    }

    /**
     * Qwen3's decoder (as the qwen family's Qwen3 and Qwen3-MoE compose it from the SPI's blocks) under
     * {@code model.language_model}, with interleaved M-RoPE.
     */
    private static DecoderLayout qwen3Layout(Qwen2VlConfig c) {
        LlamaLikeConfig text = c.text();
        boolean bias = c.qwen3().attentionBias();
        AttentionSpec attention = text.attention(bias, bias).withQkNorms(QkNorms.beforeRope(text.rmsNorm()));
        Experts experts = c.qwen3().experts();
        FeedForwardFactory mlp = experts == null
                ? text.gatedMlp(false)
                : (p, module, layer, hidden) -> experts.denseLayers().contains(layer)
                        ? text.gatedMlp(false).create(p, module, layer, hidden)
                        : new Qwen3VlMoeExperts(p, module, hidden, experts, text.activation());
        return text.layout(Blocks.attention(attention), mlp)
                .withKeys(LANGUAGE_MODEL_KEYS)
                .withRope(new MRope(text.rope(), c.mropeSection(), true));
    }

    @Override
    public MediaStageFactory mediaStage(ModelConfig config) {
        Qwen2VlConfig c = config(config);
        return parameters ->
                new Qwen2VlStage(parameters, name(), c, c.qwen3() != null ? QWEN3_VISION_TOWER : VISION_TOWER);
    }

    @Override
    public MediaProcessor mediaProcessor(ModelConfig config, Path folder) {
        return new QwenVlMediaProcessor(folder, config(config));
    }

    /** ms-swift's modules: Qwen3-VL's aligner is its merger and its DeepStack mergers. */
    @Override
    public MultimodalKeys multimodalKeys(ModelConfig config) {
        if (config(config).qwen3() != null) {
            return new MultimodalKeys(
                    List.of("model.language_model", "lm_head"),
                    List.of(QWEN3_VISION_TOWER + ".merger", QWEN3_VISION_TOWER + ".deepstack_merger_list"),
                    List.of(QWEN3_VISION_TOWER));
        }
        return new MultimodalKeys(List.of("model", "lm_head"), List.of(ALIGNER), List.of(VISION_TOWER));
    }

    /**
     * transformers 5's in-memory names to the checkpoint's: {@code model.visual.} and {@code model.language_model.}
     * (Qwen2-VL and Qwen2.5-VL; Qwen3-VL's checkpoints store those names, {@link Qwen3VlArchitecture}).
     */
    @Override
    public String checkpointKey(String key) {
        if (key.startsWith("model.visual.")) {
            return key.substring("model.".length());
        }
        if (key.startsWith("model.language_model.")) {
            return "model." + key.substring("model.language_model.".length());
        }
        return key;
    }
}

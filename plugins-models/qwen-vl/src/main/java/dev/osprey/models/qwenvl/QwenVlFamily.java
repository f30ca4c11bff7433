package dev.osprey.models.qwenvl;

import java.nio.file.Path;
import java.util.List;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.model.spi.MediaStageFactory;

/**
 * What Qwen2-VL and Qwen2.5-VL share: a vision tower and patch merger ({@link Qwen2VlStage}) before Qwen2's decoder
 * (q/k/v biases, SwiGLU), whose rotary embedding is M-RoPE ({@link MRope}).
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

    /** The config.json of this family. */
    abstract Qwen2VlConfig config(ModelConfig config);

    @Override
    public DecoderLayout layout(ModelConfig config) {
        Qwen2VlConfig c = config(config);
        return c.text()
                .layout(
                        Blocks.attention(c.text().attention(true, false)),
                        c.text().gatedMlp(false))
                .withRope(new MRope(c.text().rope(), c.mropeSection()));
    }

    @Override
    public MediaStageFactory mediaStage(ModelConfig config) {
        Qwen2VlConfig c = config(config);
        return parameters -> new Qwen2VlStage(parameters, name(), c);
    }

    @Override
    public MediaProcessor mediaProcessor(ModelConfig config, Path folder) {
        return new QwenVlMediaProcessor(folder, config(config));
    }

    @Override
    public MultimodalKeys multimodalKeys(ModelConfig config) {
        return new MultimodalKeys(List.of("model", "lm_head"), List.of(ALIGNER), List.of(VISION_TOWER));
    }

    /** transformers 5's in-memory names to the checkpoint's: {@code model.visual.} and {@code model.language_model.}. */
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

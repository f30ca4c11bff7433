package dev.osprey.models.qwenvl;

import java.util.List;
import java.util.Set;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.models.qwen.hybrid.HybridDecoders;

/**
 * What Qwen3.5 and Qwen3.5-MoE share: Qwen3-VL's vision tower without DeepStack (16-pixel patches, learned positions
 * interpolated to each image, the patch merger) before the qwen bundle's Qwen3-Next hybrid decoder (gated DeltaNet
 * linear attention with split projections, gated full attention, zero-centred RMSNorms) whose partial rotary
 * embedding is interleaved M-RoPE. Its prompts, processor and M-RoPE positions are Qwen3-VL's. The
 * multi-token-prediction layers ({@code mtp.*}) are not run.
 */
abstract class Qwen35Family extends QwenVlFamily {

    /** Qwen3.5-MoE: experts in every layer rather than a dense MLP. */
    abstract boolean moe();

    @Override
    public Set<String> linearModules() {
        return HybridDecoders.qwen35LinearModules();
    }

    /** Qwen3.5's checkpoints store the names transformers 5 keeps in memory. */
    @Override
    public String checkpointKey(String key) {
        return key;
    }

    @Override
    Qwen2VlConfig config(ModelConfig config) {
        return Qwen35Config.from(config, moe()).media();
    }

    /**
     * The hybrid decoder under {@code model.language_model}, its rotary tables interleaved over the temporal,
     * height and width positions, its head tied to the embeddings as the top-level {@code tie_word_embeddings}
     * (else the text config's) says.
     */
    @Override
    public DecoderLayout layout(ModelConfig config) {
        Qwen35Config c = Qwen35Config.from(config, moe());
        DecoderLayout d = c.decoder()
                .withKeys(LANGUAGE_MODEL_KEYS)
                .withRope(new MRope(c.decoder().rope(), c.media().mropeSection(), true));
        boolean tie = config.getBoolean(d.tieWordEmbeddings(), "tie_word_embeddings");
        return new DecoderLayout(
                d.vocabSize(),
                d.hiddenSize(),
                d.layers(),
                d.initStd(),
                tie,
                d.embeddingScale(),
                d.rope(),
                d.slidingWindow(),
                d.keys(),
                d.inputNorm(),
                d.attention(),
                d.postAttentionNorm(),
                d.feedForward(),
                d.finalNorm());
    }

    /** ms-swift's modules: the aligner is the merger alone (no DeepStack mergers). */
    @Override
    public MultimodalKeys multimodalKeys(ModelConfig config) {
        return new MultimodalKeys(
                List.of("model.language_model", "lm_head"),
                List.of(QWEN3_VISION_TOWER + ".merger"),
                List.of(QWEN3_VISION_TOWER));
    }
}

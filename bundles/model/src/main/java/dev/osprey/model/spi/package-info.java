/**
 * The model-family SPI: the building blocks a decoder-only model family is composed of, for architecture
 * bundles (Osprey's own under {@code plugins-models/} and third parties alike) to import instead of the
 * platform's internal packages.
 *
 * <p>A family is a {@link dev.osprey.model.spi.DecoderFamily}: it reads its {@code config.json} (most start
 * from {@link dev.osprey.model.spi.LlamaLikeConfig}) into a {@link dev.osprey.model.spi.DecoderLayout}, the
 * shape of the model plus one factory per block of a layer: the norms ({@link dev.osprey.model.spi.NormFactory}),
 * the attention ({@link dev.osprey.model.spi.AttentionFactory}) and the feed-forward block
 * ({@link dev.osprey.model.spi.FeedForwardFactory}), and the checkpoint keys the blocks live under
 * ({@link dev.osprey.model.spi.CheckpointKeys}). The built-in kinds (MHA/GQA attention with biases, sliding
 * windows, fused q/k/v and per-head q/k norms; SwiGLU/GeGLU MLPs; top-k routed experts; RMSNorm; RoPE with
 * its scaling variants) come from {@link dev.osprey.model.spi.Blocks}. A family that needs a block the
 * platform lacks implements the block's interface itself: its parameters come from
 * {@link dev.osprey.model.spi.Parameters}, named by checkpoint keys, so loading, saving and LoRA by name,
 * the KV cache ({@link dev.osprey.model.spi.AttentionContext#remember}; a recurrent layer's state through
 * {@link dev.osprey.model.spi.AttentionContext#keepRecurrentState}), autograd, gradient checkpointing
 * and the inference threads work for it as for the built-in blocks.
 *
 * <p>A multimodal family (a vision-language model) is a decoder family too: its
 * {@link dev.osprey.model.spi.DecoderFamily#mediaStage} runs the vision tower and the aligner, fills the
 * placeholder tokens with their features and gives the positions its rotary embedding reads
 * ({@link dev.osprey.model.spi.MediaStage}); the decoder, its cache and training stay the platform's.
 *
 * <p>A model that is not a decoder of that shape implements {@code LanguageModel} itself: it takes its
 * parameters from a {@link dev.osprey.model.spi.ParameterStore} ({@link dev.osprey.model.spi.Blocks#parameters})
 * and declares the linear layers LoRA may wrap by implementing {@link dev.osprey.model.spi.AdaptableLinears}.
 *
 * <p>Tensor shapes use B (batch), T (new positions), S (cached plus new positions), H (hidden size),
 * D (head size).
 */
@Version("1.7.0")
@Export
package dev.osprey.model.spi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

/**
 * The SigLIP vision encoder ({@code SiglipVisionModel} without its pooling head) as blocks a vision-language family
 * composes: its config ({@link dev.osprey.models.siglip.SiglipConfig}) and the tower
 * ({@link dev.osprey.models.siglip.SiglipVisionTower}: patch embedding, learned position embedding, pre-LayerNorm
 * encoder layers with a GELU-tanh MLP, post-layernorm), its parameters declared on the model's {@code Parameters}
 * under the checkpoint's names so they load, train and take LoRA with the decoder's. PaliGemma and Gemma 3 use it;
 * LLaVA-style families with a SigLIP tower can.
 */
@Version("1.1.0")
@Export(substitution = Export.Substitution.NOIMPORT)
package dev.osprey.models.siglip;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

package dev.osprey.model.spi;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Implemented by a {@code LanguageModel} whose linear layers LoRA may wrap: the platform attaches, trains,
 * saves (PEFT format) and merges adapters on exactly these, matching {@code --target_modules} against the
 * last part of each name. Every projection must come from {@link Parameters#linear} or
 * {@link Parameters#conv1d} of the model's parameters (the platform's layers carry the adapters). A model
 * that does not implement it can still be fully fine-tuned, aligned and served, but not adapted.
 */
@ConsumerType
public interface AdaptableLinears {

    /** The linear layers LoRA may wrap, in a stable order, named by module ({@code transformer.h.0.attn.c_attn}). */
    List<? extends Projection> adaptableLinears();
}

package dev.osprey.model.spi;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

import ai.djl.ndarray.NDArray;

/**
 * The parameters of a model that implements {@code LanguageModel} itself rather than being composed from a
 * {@link DecoderLayout} (made by {@link Blocks#parameters}): it declares them by checkpoint key as blocks do,
 * and hands back {@link #arrays()} as its {@code parameters()} and {@link #adaptable()} as its
 * {@link AdaptableLinears}, so loading, saving, training and LoRA work for it by name.
 */
@ProviderType
public interface ParameterStore extends Parameters {

    /** Every parameter's live array by checkpoint key, in declaration order (initial values made on first read). */
    Map<String, NDArray> arrays();

    /** The projections made by {@link #linear} and {@link #conv1d}, in declaration order. */
    List<? extends Projection> adaptable();

    /** Frees every parameter array (adapters attached to the projections are their owner's to close). */
    void close();
}

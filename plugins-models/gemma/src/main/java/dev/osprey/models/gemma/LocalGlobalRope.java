package dev.osprey.models.gemma;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.model.spi.RotaryEmbedding;

/**
 * Gemma 3's rotary embeddings: the sliding-window (local) layers rotate with one base
 * ({@code rope_local_base_freq}, 10 000), the global layers with another ({@code rope_theta}, 1 000 000)
 * and, in the larger models, linear position scaling. Both tables are made once per pass; each layer
 * applies its own.
 */
final class LocalGlobalRope implements RotaryEmbedding {

    private final RotaryEmbedding local;
    private final RotaryEmbedding global;
    private final float[] localFrequencies;
    private final float[] globalFrequencies;
    private final boolean[] sliding;

    /**
     * @param local the local layers' rope (unscaled)
     * @param global the global layers' rope, before scaling
     * @param globalFactor linear scaling of the global layers: their positions divided by it (1 for none)
     * @param sliding per layer, whether it is a local layer
     */
    LocalGlobalRope(RotaryEmbedding local, RotaryEmbedding global, double globalFactor, boolean[] sliding) {
        if (local.dependsOnLength() || global.dependsOnLength()) {
            throw new IllegalArgumentException("Gemma 3's rotary embeddings must not depend on the length");
        }
        this.local = local;
        this.global = global;
        this.localFrequencies = local.inverseFrequencies(0);
        this.globalFrequencies = global.inverseFrequencies(0);
        for (int i = 0; i < globalFrequencies.length; i++) {
            globalFrequencies[i] = (float) (globalFrequencies[i] / globalFactor); // linear: positions / factor
        }
        this.sliding = sliding.clone();
    }

    @Override
    public boolean dependsOnLength() {
        return false;
    }

    /** The global frequencies, then the local ones (the decoder hands them back to {@link #cosSin}). */
    @Override
    public float[] inverseFrequencies(int length) {
        float[] both = Arrays.copyOf(globalFrequencies, globalFrequencies.length + localFrequencies.length);
        System.arraycopy(localFrequencies, 0, both, globalFrequencies.length, localFrequencies.length);
        return both;
    }

    /** @return the global rope's tables, then the local rope's */
    @Override
    public NDArray[] cosSin(NDArray positions, float[] inverseFrequencies, DataType dataType) {
        int split = globalFrequencies.length;
        NDArray[] g = global.cosSin(positions, Arrays.copyOfRange(inverseFrequencies, 0, split), dataType);
        NDArray[] l = local.cosSin(
                positions, Arrays.copyOfRange(inverseFrequencies, split, inverseFrequencies.length), dataType);
        NDArray[] both = Arrays.copyOf(g, g.length + l.length);
        System.arraycopy(l, 0, both, g.length, l.length);
        return both;
    }

    /** Without a layer: the global rotation. */
    @Override
    public NDArray apply(NDArray x, NDArray[] cosSin) {
        return global.apply(x, Arrays.copyOfRange(cosSin, 0, cosSin.length / 2));
    }

    @Override
    public NDArray apply(int layer, NDArray x, NDArray[] cosSin) {
        int half = cosSin.length / 2;
        return sliding[layer]
                ? local.apply(x, Arrays.copyOfRange(cosSin, half, cosSin.length))
                : global.apply(x, Arrays.copyOfRange(cosSin, 0, half));
    }
}

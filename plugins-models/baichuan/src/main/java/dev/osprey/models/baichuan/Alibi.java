package dev.osprey.models.baichuan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * ALiBi, the attention bias of Baichuan-13B and Baichuan2-13B: head h adds {@code slope_h · j} to its score for
 * key j. Their code adds {@code slope_h · (j - i)} when training and {@code slope_h · j} when generating; the two
 * differ by a constant per query, which softmax ignores, so the key's index in the pass (left padding and cached
 * keys included) serves.
 */
final class Alibi {

    private final float[] slopes;

    /** @param heads the attention heads, each with its own slope */
    Alibi(int heads) {
        slopes = slopes(heads);
    }

    /**
     * The slopes of Baichuan's {@code _get_interleave(n)} (Press et al.'s): for n a power of two, {@code s^(h+1)}
     * with {@code s = 2^(-8/n)}; else those of the nearest lower power of two followed by every other slope of
     * twice that.
     */
    static float[] slopes(int heads) {
        double[] s = interleave(heads);
        float[] out = new float[heads];
        for (int i = 0; i < heads; i++) {
            out[i] = (float) s[i];
        }
        return out;
    }

    private static double[] interleave(int n) {
        int power = Integer.highestOneBit(n);
        double[] out = new double[n];
        double start = Math.pow(2, -Math.pow(2, -(log2(power) - 3)));
        for (int i = 0; i < power; i++) {
            out[i] = start * Math.pow(start, i);
        }
        if (power != n) {
            double[] wider = interleave(2 * power);
            for (int i = 0; i < n - power; i++) {
                out[power + i] = wider[2 * i];
            }
        }
        return out;
    }

    private static double log2(int n) {
        return Math.log(n) / Math.log(2);
    }

    /**
     * @param keys the keys of this pass, cached and new
     * @return (1, heads, 1, 1, S) to add to grouped scores (B, heads, 1, T, S)
     */
    NDArray bias(NDManager manager, long keys, DataType dataType) {
        int heads = slopes.length;
        NDArray slope = manager.create(slopes).reshape(1, heads, 1, 1, 1); // (1, heads, 1, 1, 1)
        NDArray index = manager.arange(0f, (float) keys, 1f).reshape(1, 1, 1, 1, keys); // (1, 1, 1, 1, S)
        return slope.mul(index).toType(dataType, false); // (1, heads, 1, 1, S)
    }
}

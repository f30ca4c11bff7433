package dev.osprey.models.qwenvl;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Weight;

/**
 * Qwen3-VL's learned position embeddings ({@code visual.pos_embed}): a side x side table of
 * {@code num_position_embeddings} rows, bilinearly interpolated to each item's grid of patches (transformers'
 * {@code get_vision_bilinear_indices_and_weights}); the gather keeps autograd's path to the table.
 */
final class LearnedPositions {

    private final Weight table;
    private final int side;
    private final int merge;
    private final int width;

    /** @param module {@code visual.pos_embed}, whose {@code weight} is (side², E) */
    LearnedPositions(Parameters p, String module, Qwen2VlConfig.VisionConfig v) {
        this.table = p.normal(module + ".weight", v.positionEmbeddings(), v.embedDim());
        this.side = (int) Math.round(Math.sqrt(v.positionEmbeddings()));
        this.merge = v.mergeSize();
        this.width = v.embedDim();
    }

    /**
     * Qwen3-VL's learned positions of every patch: the side x side table bilinearly interpolated to each item's
     * h x w patches (corners aligned: {@code linspace(0, side - 1, h)}), the same for each of its frames, in the
     * processor's merge-window order.
     *
     * @return (N, E)
     */
    NDArray forward(NDManager m, long[][] grids) {
        List<long[]> corners = new ArrayList<>(); // per patch its four table rows
        List<float[]> weights = new ArrayList<>(); // and their weights
        for (long[] g : grids) {
            float[] hs = linspace(side - 1, Math.toIntExact(g[1]));
            float[] ws = linspace(side - 1, Math.toIntExact(g[2]));
            for (long t = 0; t < g[0]; t++) {
                for (long bh = 0; bh < g[1] / merge; bh++) {
                    for (long bw = 0; bw < g[2] / merge; bw++) {
                        for (int ih = 0; ih < merge; ih++) {
                            for (int iw = 0; iw < merge; iw++) {
                                float y = hs[Math.toIntExact(bh * merge + ih)];
                                float x = ws[Math.toIntExact(bw * merge + iw)];
                                int y0 = (int) y;
                                int x0 = (int) x;
                                int y1 = Math.min(y0 + 1, side - 1);
                                int x1 = Math.min(x0 + 1, side - 1);
                                float dy = y - y0;
                                float dx = x - x0;
                                corners.add(new long[] {
                                    (long) y0 * side + x0,
                                    (long) y0 * side + x1,
                                    (long) y1 * side + x0,
                                    (long) y1 * side + x1
                                });
                                weights.add(new float[] {(1 - dy) * (1 - dx), (1 - dy) * dx, dy * (1 - dx), dy * dx});
                            }
                        }
                    }
                }
            }
        }
        int n = corners.size();
        long[] index = new long[4 * n];
        float[] weight = new float[4 * n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 4; k++) {
                index[k * n + i] = corners.get(i)[k];
                weight[k * n + i] = weights.get(i)[k];
            }
        }
        NDArray rows = table.get().get(m.create(index)).reshape(4, n, width); // (4, N, E)
        NDArray w = m.create(weight, new Shape(4, n, 1)).toType(rows.getDataType(), false);
        return rows.mul(w).sum(new int[] {0}); // (N, E)
    }

    /** torch.linspace(0, end, steps) in float32: from the start for the first half, from the end for the rest. */
    private static float[] linspace(float end, int steps) {
        float[] out = new float[steps];
        if (steps == 1) {
            return out;
        }
        float step = end / (steps - 1);
        int half = steps / 2;
        for (int i = 0; i < steps; i++) {
            out[i] = i < half ? step * i : end - step * (steps - i - 1);
        }
        return out;
    }
}

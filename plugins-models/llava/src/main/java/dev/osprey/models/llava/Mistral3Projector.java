package dev.osprey.models.llava;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * {@code Mistral3MultiModalProjector}: an RMSNorm of the tower's states, the patch merger (each image's grid cut into
 * merge x merge squares, row-major; a square's features laid out feature by feature, each feature's merge x merge
 * values row-major, as torch's {@code unfold} lays them, then {@code merging_layer}), and LLaVA's two-layer MLP.
 */
final class Mistral3Projector implements Projector {

    private final int merge;
    private final Norm norm;
    private final Projection mergingLayer;
    private final LlavaProjector mlp;

    /**
     * @param vision the tower's width
     * @param hidden the language model's width
     * @param eps the norm's epsilon, the language model's {@code rms_norm_eps}
     * @param merge {@code spatial_merge_size}
     */
    Mistral3Projector(
            Parameters p, String module, int vision, int hidden, double eps, int merge, boolean bias, String act) {
        this.merge = merge;
        this.norm = Blocks.rmsNorm(eps, 0f).create(p, module + ".norm", vision);
        this.mergingLayer =
                p.linear(module + ".patch_merger.merging_layer", (long) vision * merge * merge, vision, false);
        this.mlp = new LlavaProjector(p, module, vision, hidden, bias, act);
    }

    @Override
    public List<NDArray> project(List<NDArray> states, long[][] grids, String adapter) {
        NDList squares = new NDList();
        long[] counts = new long[states.size()];
        for (int i = 0; i < states.size(); i++) {
            long rows = grids[i][0];
            long columns = grids[i][1];
            if (rows % merge != 0 || columns % merge != 0) {
                throw new IllegalArgumentException("image " + i + " has " + rows + " x " + columns
                        + " patches, not a multiple of spatial_merge_size " + merge + " each way");
            }
            NDArray x = norm.forward(states.get(i)); // (rows·columns, D)
            long d = x.getShape().get(1);
            squares.add(x.reshape(rows / merge, merge, columns / merge, merge, d) // (R, m, C, m, D)
                    .transpose(0, 2, 4, 1, 3) // (R, C, D, m, m)
                    .reshape(rows / merge * (columns / merge), d * merge * merge)); // (R·C, D·m·m)
            counts[i] = rows / merge * (columns / merge);
        }
        NDArray all = squares.size() == 1 ? squares.get(0) : NDArrays.concat(squares, 0); // (tokens, D·m·m)
        NDArray projected = mlp.forward(mergingLayer.forward(all, adapter), adapter); // (tokens, hidden)
        List<NDArray> out = new ArrayList<>();
        long from = 0;
        for (long count : counts) {
            out.add(projected.get(from + ":" + (from + count)));
            from += count;
        }
        return out;
    }
}

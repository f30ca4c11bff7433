package dev.osprey.models.internvl;

import ai.djl.ndarray.NDArray;

import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * InternVL's aligner ({@code mlp1}, transformers' {@code multi_modal_projector}): the pixel shuffle joins each
 * s x s block of a tile's patches into one token of s²·E features, then LayerNorm, Linear, GELU, Linear to the
 * language model's width.
 */
final class PixelShuffleProjector {

    private final int shuffle;
    private final boolean transposed;
    private final Norm norm;
    private final Projection up;
    private final Projection down;

    PixelShuffleProjector(Parameters p, InternVlConfig c, int hidden) {
        this.shuffle = c.shuffle();
        this.transposed = c.transposedShuffle();
        TowerNames n = c.names();
        long joined = (long) c.vision().hidden() * shuffle * shuffle;
        this.norm =
                LayerNormWithBias.factory(c.projectorEps()).create(p, n.projector() + "." + n.projectorNorm(), joined);
        this.up = p.linear(n.projector() + "." + n.projectorUp(), joined, hidden, true);
        this.down = p.linear(n.projector() + "." + n.projectorDown(), hidden, hidden, true);
    }

    /**
     * @param patches (N, g·g, E) each tile's patches, row-major
     * @return (N·(g/s)², hidden) the tiles' tokens, in order
     */
    NDArray forward(NDArray patches, String adapter) {
        long n = patches.getShape().get(0);
        long e = patches.getShape().get(2);
        long g = Math.round(Math.sqrt(patches.getShape().get(1)));
        long side = g / shuffle;
        // the remote code's and transformers' pixel_shuffle: join s columns, swap axes, join s rows
        NDArray x = patches.reshape(n, g, side, e * shuffle) // (N, g, g/s, s·E)
                .transpose(0, 2, 1, 3)
                .reshape(n, side, side, e * shuffle * shuffle); // (N, g/s, g/s, s²·E)
        if (!transposed) { // ps_version v2 swaps rows and columns back; v1 leaves them transposed
            x = x.transpose(0, 2, 1, 3);
        }
        x = x.reshape(n * side * side, e * shuffle * shuffle); // (N·(g/s)², s²·E)
        return down.forward(InternVit.gelu(up.forward(norm.forward(x), adapter)), adapter);
    }
}

package dev.osprey.models.qwenvl;

import ai.djl.ndarray.NDArray;

import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * Qwen-VL's aligner ({@code visual.merger}): a norm over each patch, then the merge² neighbouring patches of one token
 * side by side through a two-layer MLP with an exact GELU between, to the language model's width. Qwen2-VL: a
 * LayerNorm {@code ln_q} (Qwen2.5-VL: an RMSNorm) and {@code mlp.0}, {@code mlp.2}; Qwen3-VL: a LayerNorm
 * {@code norm} and {@code linear_fc1}, {@code linear_fc2}, and its DeepStack mergers norm the merge² patches
 * together, after putting them side by side ({@code use_postshuffle_norm}).
 */
final class PatchMerger {

    private final Norm norm;
    private final Projection up;
    private final Projection down;
    private final long joined;
    private final boolean postShuffleNorm;

    /** @param postShuffleNorm norm the joined patches of a token rather than each patch (Qwen3-VL's DeepStack) */
    PatchMerger(Parameters p, String module, Qwen2VlConfig.VisionConfig v, boolean postShuffleNorm) {
        this.joined = (long) v.embedDim() * v.mergeSize() * v.mergeSize();
        this.postShuffleNorm = postShuffleNorm;
        this.norm = VisionTower.norms(v)
                .create(p, module + (v.qwen3() ? ".norm" : ".ln_q"), postShuffleNorm ? joined : v.embedDim());
        this.up = p.linear(module + (v.qwen3() ? ".linear_fc1" : ".mlp.0"), joined, joined, true);
        this.down = p.linear(module + (v.qwen3() ? ".linear_fc2" : ".mlp.2"), joined, v.outDim(), true);
    }

    /**
     * @param patches (N, E) in the processor's order, the merge² patches of each token consecutive
     * @return (N / merge², hidden)
     */
    NDArray forward(NDArray patches, String adapter) {
        NDArray x = postShuffleNorm
                ? norm.forward(patches.reshape(-1, joined)) // (N / merge², E·merge²)
                : norm.forward(patches).reshape(-1, joined);
        return down.forward(VisionTower.activation("gelu", up.forward(x, adapter)), adapter);
    }
}

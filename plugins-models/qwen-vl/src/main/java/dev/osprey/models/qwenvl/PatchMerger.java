package dev.osprey.models.qwenvl;

import ai.djl.ndarray.NDArray;

import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * Qwen2-VL's aligner ({@code visual.merger}): a LayerNorm (Qwen2.5-VL: an RMSNorm) over each patch, then the merge² neighbouring patches of
 * one token side by side through a two-layer MLP with an exact GELU between, to the language model's width.
 */
final class PatchMerger {

    private final Norm norm;
    private final Projection up;
    private final Projection down;
    private final long joined;

    PatchMerger(Parameters p, String module, Qwen2VlConfig.VisionConfig v) {
        this.joined = (long) v.embedDim() * v.mergeSize() * v.mergeSize();
        this.norm = VisionTower.norms(v).create(p, module + ".ln_q", v.embedDim());
        this.up = p.linear(module + ".mlp.0", joined, joined, true);
        this.down = p.linear(module + ".mlp.2", joined, v.outDim(), true);
    }

    /**
     * @param patches (N, E) in the processor's order, the merge² patches of each token consecutive
     * @return (N / merge², hidden)
     */
    NDArray forward(NDArray patches, String adapter) {
        NDArray x = norm.forward(patches).reshape(-1, joined); // (N / merge², E·merge²)
        return down.forward(VisionTower.activation("gelu", up.forward(x, adapter)), adapter);
    }
}

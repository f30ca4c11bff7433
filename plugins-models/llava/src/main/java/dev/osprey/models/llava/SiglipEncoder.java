package dev.osprey.models.llava;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

import dev.osprey.models.siglip.SiglipConfig;
import dev.osprey.models.siglip.SiglipVisionTower;

/**
 * The gemma-vision bundle's SigLIP tower read as LLaVA-OneVision reads it: by its encoder's hidden states (before
 * {@code post_layernorm}), every patch (no class token), each tile at the tower's one size.
 */
final class SiglipEncoder implements VisionEncoder {

    private final SiglipVisionTower tower;

    SiglipEncoder(SiglipVisionTower tower) {
        this.tower = tower;
    }

    @Override
    public List<NDArray> hiddenStates(NDArray pixels, long[][] sizes, List<Integer> layers, String adapter) {
        List<NDArray> states = tower.hiddenStates(pixels, layers, adapter); // each (N, P, D)
        NDArray joined = states.size() == 1 ? states.get(0) : NDArrays.concat(new NDList(states), -1); // (N, P, D·L)
        List<NDArray> perImage = new ArrayList<>();
        for (long i = 0; i < joined.getShape().get(0); i++) {
            perImage.add(joined.get(i)); // (P, D·L)
        }
        return perImage;
    }

    @Override
    public long[][] patchGrids(NDArray pixels, long[][] sizes) {
        SiglipConfig c = tower.config();
        long[][] grids = new long[Math.toIntExact(pixels.getShape().get(0))][];
        for (int i = 0; i < grids.length; i++) {
            grids[i] = new long[] {c.patchesPerSide(), c.patchesPerSide()};
        }
        return grids;
    }

    @Override
    public int hiddenSize() {
        return tower.config().hidden();
    }
}

package dev.osprey.models.llava;

import java.util.List;

import ai.djl.ndarray.NDArray;

/** A LLaVA-style model's vision tower, read as transformers' LLaVA models read it: by its hidden states. */
interface VisionEncoder {

    /**
     * @param pixels (N, C, H, W) the processor's {@code pixel_values}, each image at the top left
     * @param sizes per image its (height, width) in pixels ({@code image_sizes}), or null when each fills H x W
     * @param layers indices into transformers' {@code hidden_states} (0 the embeddings, i the output of layer i;
     *     negative from the end), concatenated along the features in this order
     * @param adapter the LoRA adapter, or null
     * @return per image its (patches, hidden · layers) states, row-major over its patch grid
     */
    List<NDArray> hiddenStates(NDArray pixels, long[][] sizes, List<Integer> layers, String adapter);

    /** Per image its (rows, columns) of patches. */
    long[][] patchGrids(NDArray pixels, long[][] sizes);

    /** The tower's width ({@code vision_config.hidden_size}). */
    int hiddenSize();
}

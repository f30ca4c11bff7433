package dev.osprey.models.llava;

import java.util.List;

import ai.djl.ndarray.NDArray;

/** The aligner: a tower's selected states of each image to the language model's width, one row per image token. */
interface Projector {

    /**
     * @param states per image its (patches, features) states, row-major over {@code grids[i]}
     * @param grids per image its (rows, columns) of patches
     * @param adapter the LoRA adapter, or null
     * @return per image its (tokens, hidden) features, in the order of its placeholder tokens
     */
    List<NDArray> project(List<NDArray> states, long[][] grids, String adapter);
}

package dev.osprey.model.decoder;

import java.util.List;

import ai.djl.ndarray.NDArray;
import dev.osprey.model.nn.Linear;

/** The feed-forward half of a decoder layer. */
interface FeedForward {

    /** @param x (B, T, H) @return (B, T, H) */
    NDArray forward(NDArray x, String adapter);

    /** Its linear layers, for LoRA. */
    List<Linear> linears();
}

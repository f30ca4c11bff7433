package dev.osprey.models.llava;

import java.util.ArrayList;
import java.util.List;

/** {@code vision_feature_layer}: indices into transformers' {@code hidden_states} (embeddings, then each layer's). */
final class LayerIndices {

    private LayerIndices() {}

    /**
     * @param wanted the config's indices, negative counting from the end
     * @param layers the tower's layers; {@code hidden_states} has one more
     * @return the indices from the start
     * @throws IllegalArgumentException when one is outside {@code hidden_states}
     */
    static List<Integer> resolve(List<Integer> wanted, int layers) {
        if (wanted.isEmpty()) {
            throw new IllegalArgumentException("vision_feature_layer names no layer");
        }
        List<Integer> out = new ArrayList<>();
        for (int index : wanted) {
            int from = index < 0 ? layers + 1 + index : index;
            if (from < 0 || from > layers) {
                throw new IllegalArgumentException("vision_feature_layer " + index + " is outside the " + (layers + 1)
                        + " hidden states of a tower of " + layers + " layers");
            }
            out.add(from);
        }
        return out;
    }
}

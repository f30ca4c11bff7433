package dev.osprey.models.llava;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;

import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/** {@code LlavaMultiModalProjector}: {@code linear_2(act(linear_1(x)))}, per patch. */
final class LlavaProjector implements Projector {

    private final Projection linear1;
    private final Projection linear2;
    private final String activation;

    /**
     * @param in the tower's width times the feature layers
     * @param hidden the language model's width
     * @param bias {@code multimodal_projector_bias}
     * @param activation {@code projector_hidden_act}
     */
    LlavaProjector(Parameters p, String module, long in, long hidden, boolean bias, String activation) {
        Activations.check(activation, "projector_hidden_act");
        this.linear1 = p.linear(module + ".linear_1", in, hidden, bias);
        this.linear2 = p.linear(module + ".linear_2", hidden, hidden, bias);
        this.activation = activation;
    }

    /** (T, in) to (T, hidden). */
    NDArray forward(NDArray x, String adapter) {
        return linear2.forward(Activations.apply(activation, linear1.forward(x, adapter)), adapter);
    }

    @Override
    public List<NDArray> project(List<NDArray> states, long[][] grids, String adapter) {
        List<NDArray> out = new ArrayList<>();
        for (NDArray s : states) {
            out.add(forward(s, adapter));
        }
        return out;
    }
}

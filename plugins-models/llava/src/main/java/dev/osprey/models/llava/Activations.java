package dev.osprey.models.llava;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

import dev.osprey.api.engine.Scalars;

/** The activations these towers and projectors name ({@code hidden_act}, {@code projector_hidden_act}). */
final class Activations {

    private Activations() {}

    /** @throws IllegalArgumentException naming an activation none of them computes */
    static void check(String name, String field) {
        if (!name.equals("gelu") && !name.equals("silu") && !name.equals("quick_gelu")) {
            throw new IllegalArgumentException(
                    field + " '" + name + "' is not supported here (gelu, silu and quick_gelu are)");
        }
    }

    static NDArray apply(String name, NDArray x) {
        return switch (name) {
            // exact (erf) GELU, transformers' ACT2FN["gelu"]: 0.5·x·(1 + erf(x / sqrt 2))
            case "gelu" ->
                Scalars.mul(
                        x.mul(Scalars.add(
                                Scalars.mul(x, (float) (1 / Math.sqrt(2))).erf(), 1f)),
                        0.5f);
            case "silu" -> x.mul(Activation.sigmoid(x));
            case "quick_gelu" -> x.mul(Activation.sigmoid(Scalars.mul(x, 1.702f)));
            default -> throw new IllegalArgumentException("activation '" + name + "' is not supported");
        };
    }
}

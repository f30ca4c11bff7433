package dev.osprey.models.cohere;

import dev.osprey.api.engine.Scalars;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;

/**
 * Cohere's {@code logits * logit_scale}, applied before the output head: the head is linear without a bias
 * (tied or not), so {@code head(s · norm(h)) = s · head(norm(h))} and the platform's decoder needs no logits
 * hook. The final hidden states a value head reads are scaled likewise.
 */
final class LogitScale {

    private LogitScale() {}

    /** @param scale {@code logit_scale} @return the final norm, its output multiplied by scale */
    static NormFactory finalNorm(NormFactory norm, double scale) {
        return (parameters, module, size) -> {
            Norm inner = norm.create(parameters, module, size);
            return x -> Scalars.mul(inner.forward(x), scale); // (B, T, H)
        };
    }
}

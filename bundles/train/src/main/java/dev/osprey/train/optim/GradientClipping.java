package dev.osprey.train.optim;

import java.util.Collection;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;

/** {@code torch.nn.utils.clip_grad_norm_}: scales all gradients together so their global L2 norm is at most a bound. */
public final class GradientClipping {

    private GradientClipping() {}

    /**
     * @param maxNorm {@code --max_grad_norm}; 0 or less only measures
     * @return the global norm before clipping, which the progress bar shows as grad_norm
     */
    public static double clip(Collection<NDArray> params, double maxNorm) {
        double sumOfSquares = 0;
        for (NDArray p : params) {
            if (p.hasGradient()) {
                // each read of a gradient makes a handle on the model's manager: closed here, not at the model's end
                try (NDArray g = p.getGradient();
                        NDArray squares = g.mul(g);
                        NDArray sum = squares.sum();
                        NDArray wide = sum.toType(DataType.FLOAT64, false)) {
                    sumOfSquares += wide.getDouble();
                }
            }
        }
        double norm = Math.sqrt(sumOfSquares);
        double coefficient = maxNorm / (norm + 1e-6);
        if (maxNorm > 0 && coefficient < 1) {
            for (NDArray p : params) {
                if (p.hasGradient()) {
                    try (NDArray g = p.getGradient()) {
                        Scalars.muli(g, coefficient);
                    }
                }
            }
        }
        return norm;
    }
}

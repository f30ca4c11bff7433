package dev.osprey.train.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import ai.djl.ndarray.NDArray;

/**
 * The update half of a training step, shared by every trainer: the step's forward and backward passes
 * (given), global-norm clipping, AdamW at the scheduled learning rate, gradients cleared. Known issue: on
 * some runs the gradients of the first layer's adapters come back NaN from a finite loss (not divergence:
 * it happens at step 2 as well, and the same step recomputed is finite); until its cause is found such a
 * step is recomputed, with a warning, at most twice, and a step still non-finite fails naming the
 * parameters.
 */
public final class OptimizerSteps {

    private static final System.Logger LOG = System.getLogger(OptimizerSteps.class.getName());

    /**
     * What one update did.
     *
     * @param metrics what the step's passes returned (at least {@code loss})
     */
    public record Update(double learningRate, double gradNorm, Map<String, Double> metrics) {

        /** The start of a logged step: step, total, loss, learning rate and grad norm, as the SFT log has them. */
        public Map<String, Object> logRecord(long step, long total) {
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("step", step);
            record.put("total_steps", total);
            record.put("loss", metrics.get("loss"));
            record.put("learning_rate", learningRate);
            record.put("grad_norm", gradNorm);
            return record;
        }
    }

    private final Map<String, NDArray> trainable;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final double maxGradNorm;

    /**
     * @param trainable the arrays to update, by stable name (the optimizer state is keyed by them)
     * @param scheduler {@code --lr_scheduler_type}
     */
    public OptimizerSteps(Map<String, NDArray> trainable, double learningRate, String scheduler, double warmupRatio, double weightDecay,
            double maxGradNorm, long totalSteps) {
        this.trainable = trainable;
        this.optimizer = AdamW.withDefaults(new LinkedHashMap<>(trainable), weightDecay);
        this.schedule = LrSchedule.withWarmupRatio(scheduler, learningRate, warmupRatio, totalSteps);
        this.maxGradNorm = maxGradNorm;
    }

    /**
     * Runs {@code passes} (forward and backward passes that accumulate gradients and return the step's
     * metrics; called again if the gradients come back non-finite), then updates.
     *
     * @param step 0-based
     * @throws IllegalStateException when the loss or the gradients stay non-finite, naming the parameters
     */
    public Update step(long step, Supplier<Map<String, Double>> passes) {
        Map<String, Double> metrics = null;
        double gradNorm = Double.NaN;
        for (int attempt = 0; attempt < 3 && !Double.isFinite(gradNorm); attempt++) {
            if (attempt > 0) {
                optimizer.zeroGrad();
                LOG.log(System.Logger.Level.WARNING, "step {0}: non-finite gradients, recomputing the step", step + 1);
            }
            metrics = passes.get();
            gradNorm = GradientClipping.clip(trainable.values(), maxGradNorm);
        }
        if (!Double.isFinite(gradNorm) || !Double.isFinite(metrics.getOrDefault("loss", 0.0))) {
            List<String> bad = new ArrayList<>();
            trainable.forEach((name, p) -> {
                NDArray g = p.getGradient();
                if (g != null && !Float.isFinite(g.abs().max().getFloat())) {
                    bad.add(name + " " + p.getShape());
                }
            });
            throw new IllegalStateException("training diverged at step " + (step + 1) + ": loss " + metrics.get("loss") + ", grad_norm "
                    + gradNorm + ", non-finite gradients in " + bad + "; lower --learning_rate or raise --warmup_ratio");
        }
        double lr = schedule.at(step);
        optimizer.step(lr);
        optimizer.zeroGrad();
        return new Update(lr, gradNorm, metrics);
    }

    /** Continues from a checkpoint's optimizer state after {@code step} steps. */
    public void restore(Map<String, NDArray> state, long step) {
        optimizer.restore(state, step);
    }

    /** AdamW's moments, for checkpoints. */
    public Map<String, NDArray> state() {
        return optimizer.state();
    }
}

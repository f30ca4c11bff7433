package dev.osprey.train.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import ai.djl.ndarray.NDArray;

/**
 * The update half of a training step, shared by every trainer: the step's forward and backward passes
 * (given), global-norm clipping, AdamW at the scheduled learning rate, gradients cleared. A step whose loss
 * or gradients are not finite stops the run with an error that names the step and the parameters; it is
 * never retried, since the same inputs give the same numbers (docs/architecture.md, "Reproducible
 * training").
 */
public final class OptimizerSteps implements AutoCloseable {

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
     * @param learningRateScales per array, its learning rate over the scheduled one (absent: 1)
     */
    public OptimizerSteps(
            Map<String, NDArray> trainable,
            double learningRate,
            String scheduler,
            double warmupRatio,
            double weightDecay,
            double maxGradNorm,
            long totalSteps,
            Map<String, Double> learningRateScales) {
        this.trainable = trainable;
        this.optimizer = AdamW.withDefaults(new LinkedHashMap<>(trainable), weightDecay)
                .withLearningRateScales(learningRateScales);
        this.schedule = LrSchedule.withWarmupRatio(scheduler, learningRate, warmupRatio, totalSteps);
        this.maxGradNorm = maxGradNorm;
    }

    /** Every array at the scheduled learning rate. */
    public OptimizerSteps(
            Map<String, NDArray> trainable,
            double learningRate,
            String scheduler,
            double warmupRatio,
            double weightDecay,
            double maxGradNorm,
            long totalSteps) {
        this(trainable, learningRate, scheduler, warmupRatio, weightDecay, maxGradNorm, totalSteps, Map.of());
    }

    /**
     * Runs {@code passes} (forward and backward passes that accumulate gradients and return the step's
     * metrics), then updates.
     *
     * @param step 0-based
     * @throws IllegalStateException when the loss or a gradient is not finite, naming the step and every
     *     parameter whose gradient holds NaN or infinity
     */
    public Update step(long step, Supplier<Map<String, Double>> passes) {
        Map<String, Double> metrics = passes.get();
        double gradNorm = GradientClipping.clip(trainable.values(), maxGradNorm);
        double loss = metrics.getOrDefault("loss", 0.0);
        if (!Double.isFinite(gradNorm) || !Double.isFinite(loss)) {
            List<String> bad = nonFiniteGradients();
            throw new IllegalStateException("training diverged at step " + (step + 1) + ": loss " + loss
                    + ", grad_norm " + gradNorm
                    + (bad.isEmpty()
                            ? ""
                            : ", non-finite gradients in " + bad.size() + " parameter(s): " + String.join(", ", bad))
                    + "; lower --learning_rate or raise --warmup_ratio");
        }
        double lr = schedule.at(step);
        optimizer.step(lr);
        optimizer.zeroGrad();
        return new Update(lr, gradNorm, metrics);
    }

    /** The parameters whose gradient holds NaN or infinity, with their shapes, in training order. */
    private List<String> nonFiniteGradients() {
        List<String> bad = new ArrayList<>();
        trainable.forEach((name, p) -> {
            NDArray g = p.hasGradient() ? p.getGradient() : null;
            if (g != null) {
                try (g;
                        NDArray absMax = g.abs().max()) {
                    if (!Float.isFinite(absMax.getFloat())) {
                        bad.add(name + " " + p.getShape());
                    }
                }
            }
        });
        return bad;
    }

    /** Continues from a checkpoint's optimizer state after {@code step} steps. */
    public void restore(Map<String, NDArray> state, long step) {
        optimizer.restore(state, step);
    }

    /** AdamW's moments, for checkpoints. */
    public Map<String, NDArray> state() {
        return optimizer.state();
    }

    /** Frees AdamW's moments (twice the trained parameters' size): the run is over. */
    @Override
    public void close() {
        optimizer.close();
    }
}

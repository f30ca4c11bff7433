package dev.osprey.align.rlhf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import ai.djl.ndarray.NDArray;
import dev.osprey.train.optim.AdamW;
import dev.osprey.train.optim.GradientClipping;
import dev.osprey.train.optim.LrSchedule;
import dev.osprey.train.sft.SftArguments;

/**
 * The update half of a training step, as the SFT loop does it: global-norm clipping, AdamW at the
 * scheduled learning rate, gradients cleared. A step whose gradients come back non-finite is recomputed
 * (at most twice, with a warning), as {@code SftTrainer} does for the known first-layer NaN issue.
 */
final class OptimizerSteps {

    private static final System.Logger LOG = System.getLogger(OptimizerSteps.class.getName());

    /** What one update did. */
    record Update(double learningRate, double gradNorm, Map<String, Double> metrics) {

        /** The start of a logged step: step, total, loss, learning rate and grad norm, as the SFT log has them. */
        Map<String, Object> logRecord(long step, long total) {
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

    OptimizerSteps(Map<String, NDArray> trainable, SftArguments args, long totalSteps) {
        this.trainable = trainable;
        this.optimizer = AdamW.withDefaults(new LinkedHashMap<>(trainable), args.weightDecay());
        this.schedule = LrSchedule.withWarmupRatio(args.lrSchedulerType(), args.learningRate(), args.warmupRatio(), totalSteps);
        this.maxGradNorm = args.maxGradNorm();
    }

    /**
     * Runs {@code backward} (forward and backward passes that accumulate gradients, returning the step's
     * metrics), then updates.
     *
     * @param step 0-based
     */
    Update step(long step, Supplier<Map<String, Double>> backward) {
        Map<String, Double> metrics = null;
        double gradNorm = Double.NaN;
        for (int attempt = 0; attempt < 3 && !Double.isFinite(gradNorm); attempt++) {
            if (attempt > 0) {
                optimizer.zeroGrad();
                LOG.log(System.Logger.Level.WARNING, "step {0}: non-finite gradients, recomputing the step", step + 1);
            }
            metrics = backward.get();
            gradNorm = GradientClipping.clip(trainable.values(), maxGradNorm);
        }
        if (!Double.isFinite(gradNorm) || !Double.isFinite(metrics.getOrDefault("loss", 0.0))) {
            List<String> bad = new ArrayList<>();
            trainable.forEach((name, p) -> {
                NDArray g = p.getGradient();
                if (g != null && !Float.isFinite(g.abs().max().getFloat())) {
                    bad.add(name);
                }
            });
            throw new IllegalStateException("training diverged at step " + (step + 1) + ": loss " + metrics.get("loss") + ", grad_norm "
                    + gradNorm + ", non-finite gradients in " + bad + "; lower --learning_rate or --beta");
        }
        double lr = schedule.at(step);
        optimizer.step(lr);
        optimizer.zeroGrad();
        return new Update(lr, gradNorm, metrics);
    }

    /** AdamW's moments, for checkpoints. */
    Map<String, NDArray> state() {
        return optimizer.state();
    }
}

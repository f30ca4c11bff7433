package dev.osprey.train.optim;

import java.util.Locale;

/**
 * Learning rate per optimizer step, as transformers' {@code get_scheduler} computes it: a linear warmup
 * from 0, then {@code constant}, {@code linear} decay to 0 or {@code cosine} decay to 0. Step 0 is the
 * first update, which with warmup runs at learning rate 0, as in the Trainer.
 *
 * @param type {@code linear}, {@code cosine}, {@code constant} or {@code constant_with_warmup}
 * @param peak the learning rate after warmup ({@code --learning_rate})
 * @param warmupSteps steps of linear warmup
 * @param totalSteps the training steps in all
 */
public record LrSchedule(String type, double peak, long warmupSteps, long totalSteps) {

    public LrSchedule {
        type = type.toLowerCase(Locale.ROOT);
        if (!type.equals("linear")
                && !type.equals("cosine")
                && !type.equals("constant")
                && !type.equals("constant_with_warmup")) {
            throw new IllegalArgumentException("--lr_scheduler_type '" + type
                    + "' is not supported; supported: linear, cosine," + " constant, constant_with_warmup");
        }
        if (warmupSteps < 0 || totalSteps <= 0) {
            throw new IllegalArgumentException("warmup steps must be >= 0 and total steps > 0");
        }
    }

    /** Warmup from a ratio of the total, rounded up as the Trainer does. */
    public static LrSchedule withWarmupRatio(String type, double peak, double warmupRatio, long totalSteps) {
        if (warmupRatio < 0 || warmupRatio > 1) {
            throw new IllegalArgumentException("--warmup_ratio must be in [0, 1], was " + warmupRatio);
        }
        return new LrSchedule(type, peak, (long) Math.ceil(totalSteps * warmupRatio), totalSteps);
    }

    /** The learning rate of update number {@code step} (0-based). */
    public double at(long step) {
        if (type.equals("constant")) {
            return peak;
        }
        if (step < warmupSteps) {
            return peak * step / Math.max(1, warmupSteps);
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return switch (type) {
            case "linear" -> peak * Math.max(0, 1 - progress);
            case "cosine" -> peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
            default -> peak;
        };
    }
}

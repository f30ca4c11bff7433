package dev.osprey.train.loop;

import java.util.Map;

/**
 * How the {@link Trainer} runs, by ms-swift name.
 *
 * @param batchSize {@code --per_device_train_batch_size}
 * @param gradientAccumulation {@code --gradient_accumulation_steps}
 * @param learningRate {@code --learning_rate}
 * @param scheduler {@code --lr_scheduler_type}
 * @param warmupRatio {@code --warmup_ratio}
 * @param weightDecay {@code --weight_decay}
 * @param maxGradNorm {@code --max_grad_norm}
 * @param epochs {@code --num_train_epochs}
 * @param maxSteps {@code --max_steps}; when positive it overrides the epochs
 * @param seed {@code --seed}: the data order and the dropout masks of each step
 * @param evalSteps {@code --eval_steps}; 0 evaluates only after the last step
 * @param evalBatchSize {@code --per_device_eval_batch_size}
 * @param learningRateScales per trainable array, its learning rate over {@code learningRate} ({@code --vit_lr},
 *        {@code --aligner_lr}); absent arrays train at {@code learningRate}
 */
public record TrainerOptions(
        int batchSize,
        int gradientAccumulation,
        double learningRate,
        String scheduler,
        double warmupRatio,
        double weightDecay,
        double maxGradNorm,
        double epochs,
        long maxSteps,
        long seed,
        int evalSteps,
        int evalBatchSize,
        Map<String, Double> learningRateScales) {

    /** Every array at {@code learningRate}. */
    public TrainerOptions(
            int batchSize,
            int gradientAccumulation,
            double learningRate,
            String scheduler,
            double warmupRatio,
            double weightDecay,
            double maxGradNorm,
            double epochs,
            long maxSteps,
            long seed,
            int evalSteps,
            int evalBatchSize) {
        this(
                batchSize,
                gradientAccumulation,
                learningRate,
                scheduler,
                warmupRatio,
                weightDecay,
                maxGradNorm,
                epochs,
                maxSteps,
                seed,
                evalSteps,
                evalBatchSize,
                Map.of());
    }

    /** Without periodic evaluation. */
    public TrainerOptions(
            int batchSize,
            int gradientAccumulation,
            double learningRate,
            String scheduler,
            double warmupRatio,
            double weightDecay,
            double maxGradNorm,
            double epochs,
            long maxSteps,
            long seed) {
        this(
                batchSize,
                gradientAccumulation,
                learningRate,
                scheduler,
                warmupRatio,
                weightDecay,
                maxGradNorm,
                epochs,
                maxSteps,
                seed,
                0,
                1);
    }

    public TrainerOptions {
        learningRateScales = Map.copyOf(learningRateScales);
        if (batchSize <= 0 || gradientAccumulation <= 0 || evalBatchSize <= 0) {
            throw new IllegalArgumentException("--per_device_train_batch_size, --per_device_eval_batch_size and"
                    + " --gradient_accumulation_steps must be positive");
        }
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("--learning_rate must be positive, was " + learningRate);
        }
        if (epochs <= 0 && maxSteps <= 0) {
            throw new IllegalArgumentException("give --num_train_epochs or --max_steps");
        }
    }

    /** These options with {@code scales} as {@link #learningRateScales}. */
    public TrainerOptions withLearningRateScales(Map<String, Double> scales) {
        return new TrainerOptions(
                batchSize,
                gradientAccumulation,
                learningRate,
                scheduler,
                warmupRatio,
                weightDecay,
                maxGradNorm,
                epochs,
                maxSteps,
                seed,
                evalSteps,
                evalBatchSize,
                scales);
    }

    /** Optimizer steps for {@code items} training items taken {@code itemsPerStep} at a time. */
    public long totalSteps(int items, int itemsPerStep) {
        if (maxSteps > 0) {
            return maxSteps;
        }
        double perEpoch = Math.ceil(items / (double) itemsPerStep);
        return Math.max(1, (long) Math.ceil(perEpoch * epochs));
    }

    /** Whether step {@code step} (1-based) of {@code total} evaluates: every {@code evalSteps}, and the last. */
    public boolean evaluates(long step, long total) {
        return step == total || (evalSteps > 0 && step % evalSteps == 0);
    }
}

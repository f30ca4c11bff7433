package dev.osprey.train.sft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.model.load.Losses;
import dev.osprey.model.nn.ComputeThreads;
import dev.osprey.train.optim.OptimizerSteps;

/**
 * The supervised training loop, as the Trainer runs it: shuffled micro-batches, gradient accumulation
 * (each micro-batch's mean loss divided by the accumulation steps), global-norm clipping, AdamW with a
 * warmup-then-decay schedule. The arrays of each micro-step live in an {@link NDScope} freed after its
 * backward pass; the parameters and the optimizer state persist.
 */
public final class SftTrainer {

    private static final System.Logger LOG = System.getLogger(SftTrainer.class.getName());

    /**
     * @param batchSize {@code --per_device_train_batch_size}
     * @param gradientAccumulation {@code --gradient_accumulation_steps}
     * @param learningRate {@code --learning_rate}
     * @param scheduler {@code --lr_scheduler_type}
     * @param warmupRatio {@code --warmup_ratio}
     * @param weightDecay {@code --weight_decay}
     * @param maxGradNorm {@code --max_grad_norm}
     * @param epochs {@code --num_train_epochs}
     * @param maxSteps {@code --max_steps}; when positive it overrides the epochs
     * @param seed {@code --seed}: the data order
     * @param gradientCheckpointing {@code --gradient_checkpointing}: recompute each layer in the backward
     *        pass instead of keeping every layer's graph (decoder models)
     */
    public record Options(int batchSize, int gradientAccumulation, double learningRate, String scheduler, double warmupRatio,
            double weightDecay, double maxGradNorm, double epochs, long maxSteps, long seed, boolean gradientCheckpointing) {

        /** Without activation checkpointing. */
        public Options(int batchSize, int gradientAccumulation, double learningRate, String scheduler, double warmupRatio,
                double weightDecay, double maxGradNorm, double epochs, long maxSteps, long seed) {
            this(batchSize, gradientAccumulation, learningRate, scheduler, warmupRatio, weightDecay, maxGradNorm, epochs, maxSteps, seed,
                    false);
        }

        public Options {
            if (batchSize <= 0 || gradientAccumulation <= 0) {
                throw new IllegalArgumentException("--per_device_train_batch_size and --gradient_accumulation_steps must be positive");
            }
            if (!(learningRate > 0)) {
                throw new IllegalArgumentException("--learning_rate must be positive, was " + learningRate);
            }
            if (epochs <= 0 && maxSteps <= 0) {
                throw new IllegalArgumentException("give --num_train_epochs or --max_steps");
            }
        }
    }

    /** What one optimizer step did. */
    public record StepLog(long step, long totalSteps, double loss, double learningRate, double gradNorm, long tokens) {
    }

    private SftTrainer() {
    }

    /** Optimizer steps for this many examples. */
    static long totalSteps(int examples, Options o) {
        if (o.maxSteps() > 0) {
            return o.maxSteps();
        }
        double perEpoch = Math.ceil(examples / (double) (o.batchSize() * o.gradientAccumulation()));
        return Math.max(1, (long) Math.ceil(perEpoch * o.epochs()));
    }

    /**
     * Trains the {@code trainable} arrays (they require gradients) of {@code model}.
     *
     * @param adapter the LoRA adapter to train through, or null for full fine-tuning
     * @param listener told after every optimizer step
     * @return the log of every step
     */
    public static List<StepLog> train(LanguageModel model, String adapter, Map<String, NDArray> trainable,
            List<SftExample> examples, int padId, Options o, Consumer<StepLog> listener) {
        try {
            return train(model, adapter, trainable, examples, padId, o, null, null, listener);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // no checkpoints were asked for
        }
    }

    /**
     * Trains as above, writing checkpoints and, given {@code resume}, continuing a run from its checkpoint:
     * the trainable arrays must already hold the checkpoint's weights; the data order and the optimizer
     * state are restored, so the losses that follow equal those of a run never interrupted.
     */
    public static List<StepLog> train(LanguageModel model, String adapter, Map<String, NDArray> trainable,
            List<SftExample> examples, int padId, Options o, Checkpoints checkpoints, Checkpoints.Resume resume,
            Consumer<StepLog> listener) throws java.io.IOException {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("the training set is empty");
        }
        return train(model, adapter, trainable, ExampleSource.shuffledEpochs(examples, o.seed()), totalSteps(examples.size(), o), padId,
                o, checkpoints, resume, listener);
    }

    /**
     * Trains as above for {@code total} optimizer steps on examples taken from {@code source} (a list
     * shuffled by epoch, or a stream).
     */
    public static List<StepLog> train(LanguageModel model, String adapter, Map<String, NDArray> trainable, ExampleSource source,
            long total, int padId, Options o, Checkpoints checkpoints, Checkpoints.Resume resume, Consumer<StepLog> listener)
            throws java.io.IOException {
        return train(model, adapter, trainable, source, total, padId, o, checkpoints, resume, listener, () -> false);
    }

    /**
     * Trains as above; when {@code cancelled} turns true the run stops after the step in progress, saving a
     * checkpoint of it first (so it can be resumed), and returns the steps done.
     */
    public static List<StepLog> train(LanguageModel model, String adapter, Map<String, NDArray> trainable, ExampleSource source,
            long total, int padId, Options o, Checkpoints checkpoints, Checkpoints.Resume resume, Consumer<StepLog> listener,
            java.util.function.BooleanSupplier cancelled) throws java.io.IOException {
        try (ComputeThreads threads = ComputeThreads.training()) { // a step's operations use every core
            return loop(model, adapter, trainable, source, total, padId, o, checkpoints, resume, listener, cancelled);
        }
    }

    private static List<StepLog> loop(LanguageModel model, String adapter, Map<String, NDArray> trainable, ExampleSource source,
            long total, int padId, Options o, Checkpoints checkpoints, Checkpoints.Resume resume, Consumer<StepLog> listener,
            java.util.function.BooleanSupplier cancelled) throws java.io.IOException {
        OptimizerSteps optimizer = new OptimizerSteps(trainable, o.learningRate(), o.scheduler(), o.warmupRatio(), o.weightDecay(),
                o.maxGradNorm(), total);
        NDManager parent = model.parameters().values().iterator().next().getManager();
        List<StepLog> logs = new ArrayList<>();
        long first = 0;
        if (resume != null) {
            // replay the data order of the steps already done, so the next batches are the ones they would have been
            for (long s = 0; s < resume.step() * o.gradientAccumulation(); s++) {
                nextBatch(source, o.batchSize());
            }
            optimizer.restore(resume.optimizerState(), resume.step());
            logs.addAll(resume.history());
            first = resume.step();
        }
        for (long step = first; step < total; step++) {
            List<List<SftExample>> micro = new ArrayList<>();
            for (int i = 0; i < o.gradientAccumulation(); i++) {
                micro.add(nextBatch(source, o.batchSize()));
            }
            long current = step;
            OptimizerSteps.Update update = optimizer.step(step, () -> {
                // dropout draws from the engine's generator: seeded by step, a resumed run draws the same masks
                parent.getEngine().setRandomSeed((int) (o.seed() * 1_000_003L + current));
                double lossSum = 0;
                long tokens = 0;
                for (List<SftExample> examplesOfBatch : micro) {
                    double[] result = microStep(model, adapter, parent, examplesOfBatch, padId, o, current);
                    lossSum += result[0];
                    tokens += (long) result[1];
                }
                return Map.of("loss", lossSum / o.gradientAccumulation(), "tokens", (double) tokens);
            });
            StepLog log = new StepLog(step + 1, total, update.metrics().get("loss"), update.learningRate(), update.gradNorm(),
                    update.metrics().get("tokens").longValue());
            logs.add(log);
            if (listener != null) {
                listener.accept(log);
            }
            boolean stop = cancelled.getAsBoolean();
            if (checkpoints != null && (stop || checkpoints.due(step + 1, total))) {
                checkpoints.save(step + 1, total, optimizer.state(), logs);
            }
            if (stop) {
                LOG.log(System.Logger.Level.INFO, "cancelled after step {0} of {1}", step + 1, total);
                break;
            }
        }
        return logs;
    }

    /** Forward and backward of one micro-batch; returns {mean loss, trained tokens}. */
    private static double[] microStep(LanguageModel model, String adapter, NDManager parent, List<SftExample> examples, int padId,
            Options o, long step) {
        int accumulation = o.gradientAccumulation();
        try (NDScope scope = new NDScope(); NDManager m = parent.newSubManager()) {
            scope.suppressNotUsedWarning();
            Batch batch = Batch.of(m, examples, padId);
            if (o.gradientCheckpointing() && model instanceof dev.osprey.model.decoder.DecoderModel decoder) {
                return CheckpointedStep.run(decoder, adapter, parent, batch, accumulation, o.seed() * 1_000_003L + step);
            }
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray logits = model.forward(request(batch, adapter, true)).logits(); // (B, T, V)
                NDArray loss = Losses.causalLm(logits, batch.labels());
                float value = loss.getFloat();
                collector.backward(Scalars.div(loss, accumulation));
                return new double[] {value, batch.trainedTokens()};
            }
        }
    }

    private static ForwardRequest request(Batch batch, String adapter, boolean training) {
        return ForwardRequest.builder(batch.inputIds()).optAttentionMask(batch.attentionMask()).optPositionIds(batch.positionIds())
                .optAdapter(adapter).optTraining(training).build();
    }

    /**
     * The loss on held-out examples, without gradients: the mean over every trained token (not the mean
     * of batch means), as the Trainer's eval_loss with token-level averaging.
     */
    public static double evaluate(LanguageModel model, String adapter, List<SftExample> examples, int batchSize, int padId) {
        NDManager parent = model.parameters().values().iterator().next().getManager();
        double weighted = 0;
        long tokens = 0;
        for (int from = 0; from < examples.size(); from += batchSize) {
            List<SftExample> part = examples.subList(from, Math.min(examples.size(), from + batchSize));
            try (NDScope scope = new NDScope(); NDManager m = parent.newSubManager()) {
                scope.suppressNotUsedWarning();
                Batch batch = Batch.of(m, part, padId);
                if (batch.trainedTokens() == 0) {
                    continue;
                }
                NDArray logits = model.forward(request(batch, adapter, false)).logits(); // (B, T, V)
                weighted += Losses.causalLm(logits, batch.labels()).getFloat() * batch.trainedTokens();
                tokens += batch.trainedTokens();
            }
        }
        return tokens == 0 ? Double.NaN : weighted / tokens;
    }

    private static List<SftExample> nextBatch(ExampleSource source, int size) {
        List<SftExample> batch = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            batch.add(source.next());
        }
        return batch;
    }
}

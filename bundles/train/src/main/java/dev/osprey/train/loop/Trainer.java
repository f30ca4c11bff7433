package dev.osprey.train.loop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.osprey.model.nn.ComputeThreads;
import dev.osprey.train.optim.OptimizerSteps;
import dev.osprey.train.report.LossPlot;

/**
 * The training loop of every method: takes each step's items from one seeded order, lets the
 * {@link Objective} prepare the step and run its micro-batches (each in an {@link NDScope} freed after its
 * backward pass, the engine's generator seeded by step so dropout repeats), clips and updates through
 * {@link OptimizerSteps}, evaluates every {@code --eval_steps} on the held-out items, and, given a
 * {@link RunFolder}, logs, checkpoints, resumes and plots. A run resumed from a checkpoint replays the data
 * order of the steps done and restores the optimizer, so its steps equal the uninterrupted run's, bit for bit.
 */
public final class Trainer {

    private static final System.Logger LOG = System.getLogger(Trainer.class.getName());

    /**
     * What a run produced.
     *
     * @param steps every optimizer step's log, a resumed run's earlier steps included
     * @param lastCheckpoint the final checkpoint folder, or null without a run folder
     * @param plot the loss plot, or null when there is none
     */
    public record Result(List<StepLog> steps, Path lastCheckpoint, Path plot) {

        public double finalLoss() {
            return steps.get(steps.size() - 1).loss();
        }

        /** One metric of every step, in order (NaN where a step lacks it). */
        public double[] metric(String name) {
            return steps.stream().mapToDouble(s -> s.metric(name)).toArray();
        }

        /** The evaluation metric {@code name} (e.g. {@code eval_loss}) by step, for the steps that evaluated. */
        public Map<Long, Double> evalMetric(String name) {
            Map<Long, Double> values = new LinkedHashMap<>();
            steps.stream()
                    .filter(s -> s.eval().containsKey(name))
                    .forEach(s -> values.put(s.step(), s.eval().get(name)));
            return values;
        }
    }

    private final TrainerOptions options;
    private final TrainingListener listener;
    private final RunFolder folder;

    /**
     * @param folder where logs and checkpoints go and the checkpoint to resume from; null for neither
     * @param listener told every step; may be null
     */
    public Trainer(TrainerOptions options, RunFolder folder, TrainingListener listener) {
        this.options = options;
        this.folder = folder;
        this.listener = listener == null ? new TrainingListener() {} : listener;
    }

    /** Optimizer steps of a run over {@code items} training items. */
    public long totalSteps(Objective<?> objective, int items) {
        return options.totalSteps(items, objective.itemsPerStep(options));
    }

    /** Trains on every item held in memory, each epoch a seeded shuffle, for the steps its epochs or {@code --max_steps} give. */
    public <T> Result train(Objective<T> objective, List<T> items, List<T> validation, Map<String, NDArray> trainable)
            throws IOException {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("the training set is empty");
        }
        return train(
                objective,
                ItemSource.shuffledEpochs(items, options.seed()),
                totalSteps(objective, items.size()),
                validation,
                trainable);
    }

    /**
     * Trains the {@code trainable} arrays (they require gradients) for {@code total} steps on items taken from
     * {@code source}; when the listener says cancelled the run stops after the step in progress, checkpointed.
     * Given a run folder with a checkpoint to resume from, the trainable arrays must already hold its weights.
     */
    public <T> Result train(
            Objective<T> objective,
            ItemSource<T> source,
            long total,
            List<T> validation,
            Map<String, NDArray> trainable)
            throws IOException {
        NDManager parent = trainable.values().iterator().next().getManager();
        try (ComputeThreads threads = ComputeThreads.training(); // a step's operations use every core
                RunFolder.Open run = folder == null ? null : folder.open(parent)) {
            List<StepLog> steps = loop(objective, source, total, validation, trainable, parent, run);
            if (folder == null) {
                return new Result(steps, null, null);
            }
            Path last = folder.outputDir()
                    .resolve("checkpoint-" + steps.get(steps.size() - 1).step());
            Path plot = LossPlot.write(folder.outputDir().resolve("loss.png"), steps, listener::isBenchmarkScore)
                    .orElse(null);
            return new Result(steps, last, plot);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private <T> List<StepLog> loop(
            Objective<T> objective,
            ItemSource<T> source,
            long total,
            List<T> validation,
            Map<String, NDArray> trainable,
            NDManager parent,
            RunFolder.Open run)
            throws IOException {
        // closed when the run ends: AdamW's moments are twice the trained parameters' size
        try (OptimizerSteps optimizer = new OptimizerSteps(
                trainable,
                options.learningRate(),
                options.scheduler(),
                options.warmupRatio(),
                options.weightDecay(),
                options.maxGradNorm(),
                total,
                options.learningRateScales())) {
            Checkpoints checkpoints = folder == null ? null : folder.checkpoints();
            int itemsPerStep = objective.itemsPerStep(options);
            List<StepLog> logs = new ArrayList<>();
            long first = 0;
            Checkpoints.Resume resume = run == null ? null : run.resume();
            if (resume != null) {
                // replay the data order of the steps already done, so the next items are the ones they would have been
                for (long i = 0; i < resume.step() * itemsPerStep; i++) {
                    source.next();
                }
                optimizer.restore(resume.optimizerState(), resume.step());
                logs.addAll(resume.history());
                first = resume.step();
            }
            long start = System.nanoTime();
            long tokens = 0;
            for (long step = first; step < total; step++) {
                List<T> items = new ArrayList<>(itemsPerStep);
                for (int i = 0; i < itemsPerStep; i++) {
                    items.add(source.next());
                }
                StepWork work = objective.prepare(step, items, options);
                long current = step;
                OptimizerSteps.Update update = optimizer.step(step, () -> {
                    // dropout draws from the engine's generator: seeded by step, a resumed run draws the same masks
                    parent.getEngine().setRandomSeed((int) (options.seed() * 1_000_003L + current));
                    List<Map<String, Double>> micro = new ArrayList<>();
                    for (int i = 0; i < work.microBatches(); i++) {
                        try (NDScope scope = new NDScope();
                                NDManager m = parent.newSubManager()) {
                            scope.suppressNotUsedWarning();
                            micro.add(work.run(i, m));
                        }
                    }
                    return work.combine(micro);
                });
                Map<String, Object> metrics = new LinkedHashMap<>(update.metrics());
                metrics.remove("loss");
                metrics.putAll(work.extras());
                StepLog log = new StepLog(
                        step + 1,
                        total,
                        update.metrics().get("loss"),
                        update.learningRate(),
                        update.gradNorm(),
                        work.tokens(),
                        metrics,
                        Map.of());
                boolean evaluates = options.evaluates(step + 1, total);
                if (!validation.isEmpty() && evaluates) {
                    Map<String, Double> eval = new LinkedHashMap<>();
                    objective.evaluate(validation, options.evalBatchSize()).forEach((k, v) -> eval.put("eval_" + k, v));
                    log = log.withEval(eval);
                }
                if (evaluates && checkpoints != null && listener.evaluatesCheckpoints()) {
                    log = log.withEval(benchmarks(checkpoints, step + 1, total, optimizer, logs, log));
                }
                logs.add(log);
                tokens += log.tokens();
                double elapsed = (System.nanoTime() - start) / 1e9;
                if (run != null) {
                    run.log(log, elapsed, tokens / elapsed);
                }
                listener.step(log, elapsed, tokens / elapsed);
                boolean stop = listener.cancelled();
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
    }

    /**
     * The step's evaluation with the listener's scores of its checkpoint, written first (and written again if the
     * step checkpoints anyway, so its {@code trainer_state.json} holds the scores).
     */
    private Map<String, Double> benchmarks(
            Checkpoints checkpoints, long step, long total, OptimizerSteps optimizer, List<StepLog> logs, StepLog log)
            throws IOException {
        List<StepLog> history = new ArrayList<>(logs);
        history.add(log);
        Path checkpoint = checkpoints.save(step, total, optimizer.state(), history);
        Map<String, Double> eval = new LinkedHashMap<>(log.eval());
        try {
            eval.putAll(listener.evaluateCheckpoint(step, checkpoint));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("evaluating " + checkpoint + ": " + e.getMessage(), e);
        }
        return eval;
    }
}

package dev.osprey.train.impl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.osprey.api.Extension;
import dev.osprey.api.eval.EvaluationReport;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.job.ProgressReporter;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.train.loop.StepLog;
import dev.osprey.train.loop.TrainingListener;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.TrainingRuns;

/**
 * ms-swift's evaluation during training ({@code --eval_use_evalscope --eval_dataset NAME ... --eval_steps N}): at
 * every evaluation step the Trainer writes the step's checkpoint, and each named benchmark's evaluator scores it, as
 * {@code osprey eval} would (the base {@code --model} with the checkpoint's adapter, or the checkpoint itself after
 * full training; {@code --eval_dataset_args} as its {@code --dataset_args}, {@code --eval_limit}, {@code
 * --eval_generation_config}). Each overall metric of a report becomes {@code eval_NAME_METRIC} in {@code
 * logging.jsonl} beside the loss; per-subset scores and details stay in {@code OUTPUT/eval/step-N/NAME/}. Passes
 * everything else to the job's own listener.
 */
final class CheckpointBenchmarks implements TrainingListener {

    private final TrainingListener inner;
    private final JobContext job;
    private final SftArguments args;
    private final Map<String, ExtensionHandle<Evaluator>> evaluators = new LinkedHashMap<>();

    CheckpointBenchmarks(TrainingListener inner, JobContext job, SftArguments args) {
        this.inner = inner;
        this.job = job;
        this.args = args;
        for (String name : args.evalDataset()) {
            evaluators.put(name, job.extension(Evaluator.class, name)); // a missing one fails before training
        }
    }

    @Override
    public void message(String text) {
        inner.message(text);
    }

    @Override
    public void step(StepLog log, double elapsedSeconds, double tokensPerSecond) {
        inner.step(log, elapsedSeconds, tokensPerSecond);
    }

    @Override
    public boolean cancelled() {
        return inner.cancelled();
    }

    @Override
    public boolean evaluatesCheckpoints() {
        return !evaluators.isEmpty();
    }

    @Override
    public Map<String, Double> evaluateCheckpoint(long step, Path checkpoint) throws Exception {
        Map<String, Double> scores = new LinkedHashMap<>();
        for (Map.Entry<String, ExtensionHandle<Evaluator>> benchmark : evaluators.entrySet()) {
            String name = benchmark.getKey();
            Path out = job.outputDir().resolve("eval/step-" + step + "/" + name);
            Files.createDirectories(out);
            EvaluationReport report =
                    benchmark.getValue().get().evaluate(new Evaluation(arguments(checkpoint, out), out));
            // the overall metrics, in name order (a report's map has none); per-subset ones name a subset after '/'
            new TreeMap<>(report.metrics()).forEach((metric, value) -> {
                if (!metric.contains("/") && !metric.equals("questions")) {
                    scores.put("eval_" + name + "_" + metric, value);
                }
            });
        }
        inner.message("step " + step + " benchmarks: " + scores);
        return scores;
    }

    @Override
    public boolean isBenchmarkScore(String metric) {
        return evaluators.keySet().stream().anyMatch(name -> metric.startsWith("eval_" + name + "_"));
    }

    /** {@code osprey eval}'s arguments for the checkpoint. */
    private Arguments arguments(Path checkpoint, Path out) {
        Map<String, Object> map = new LinkedHashMap<>();
        if (TrainingRuns.adapter(args) != null) {
            map.put("model", args.model());
            map.put("adapters", List.of(checkpoint.toString()));
        } else {
            map.put("model", checkpoint.toString());
        }
        if (args.evalDatasetArgs() != null) {
            map.put("dataset_args", args.evalDatasetArgs());
        }
        if (args.evalLimit() != null) {
            map.put("eval_limit", args.evalLimit());
        }
        if (args.evalGenerationConfig() != null) {
            map.put("eval_generation_config", args.evalGenerationConfig());
        }
        map.put("output_dir", out.toString());
        return Arguments.of(map);
    }

    /** The training job's context, with an evaluator's arguments and folder, its progress kept quiet. */
    private final class Evaluation implements JobContext {

        private final Arguments arguments;
        private final Path out;

        Evaluation(Arguments arguments, Path out) {
            this.arguments = arguments;
            this.out = out;
        }

        @Override
        public String jobId() {
            return job.jobId();
        }

        @Override
        public Arguments arguments() {
            return arguments;
        }

        @Override
        public Path outputDir() {
            return out;
        }

        @Override
        public DeviceId device() {
            return job.device();
        }

        @Override
        public ProgressReporter progress() {
            return new ProgressReporter() {
                @Override
                public void begin(String phase, long totalSteps) {}

                @Override
                public void step(long step, Map<String, Double> metrics) {}

                @Override
                public void message(String text) {}
            };
        }

        @Override
        public boolean isCancelled() {
            return job.isCancelled();
        }

        @Override
        public <T extends Extension> ExtensionHandle<T> extension(Class<T> type, String name) {
            return job.extension(type, name);
        }
    }
}

package dev.osprey.train.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.osprey.api.Extension;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.job.ProgressReporter;
import dev.osprey.api.plugin.ExtensionHandle;

/** The bridge from the Trainer's listener to the platform's progress: a step's event carries its metrics and its evaluation's. */
class JobProgressTest {

    /** A job that records what it is told. */
    private static final class RecordingJob implements JobContext, ProgressReporter {
        final List<String> phases = new ArrayList<>();
        final Map<Long, Map<String, Double>> steps = new LinkedHashMap<>();
        final List<String> messages = new ArrayList<>();

        @Override
        public String jobId() {
            return "test";
        }

        @Override
        public Arguments arguments() {
            return Arguments.of(Map.of());
        }

        @Override
        public Path outputDir() {
            return Path.of("unused");
        }

        @Override
        public DeviceId device() {
            return DeviceId.parse("cpu");
        }

        @Override
        public ProgressReporter progress() {
            return this;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public <T extends Extension> ExtensionHandle<T> extension(Class<T> type, String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void begin(String phase, long totalSteps) {
            phases.add(phase + "/" + totalSteps);
        }

        @Override
        public void step(long step, Map<String, Double> metrics) {
            steps.put(step, metrics);
        }

        @Override
        public void message(String text) {
            messages.add(text);
        }
    }

    @Test
    void evaluatedStepsCarryTheirEvalMetricsAsEventFields() {
        RecordingJob job = new RecordingJob();
        JobProgress progress = new JobProgress(job);
        StepLog first = new StepLog(
                1, 2, 0.69, 1e-3, 0.5, 40, Map.of("rewards/margins", 0.0, "reward_warnings", List.of("w")), Map.of());
        progress.step(first, 1.0, 40);
        progress.step(
                new StepLog(2, 2, 0.6, 1e-3, 0.4, 40, Map.of("rewards/margins", 0.1), Map.of())
                        .withEval(Map.of("eval_loss", 0.65, "eval_rewards/accuracies", 0.75)),
                2.0,
                40);

        assertEquals(List.of("train/2"), job.phases, "one train phase");
        Map<String, Double> plain = job.steps.get(1L);
        assertEquals(0.69, plain.get("loss"));
        assertEquals(0.0, plain.get("rewards/margins"));
        assertEquals(40.0, plain.get("tokens_per_s"));
        assertTrue(!plain.containsKey("reward_warnings") && !plain.containsKey("eval_loss"), plain.toString());
        Map<String, Double> evaluated = job.steps.get(2L);
        assertEquals(0.65, evaluated.get("eval_loss"));
        assertEquals(0.75, evaluated.get("eval_rewards/accuracies"));
        assertTrue(
                job.messages.stream().anyMatch(m -> m.startsWith("step 2") && m.contains("eval_loss 0.6500")),
                job.messages.toString());
    }
}

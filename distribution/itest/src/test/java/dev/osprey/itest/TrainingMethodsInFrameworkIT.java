package dev.osprey.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

import dev.osprey.api.Extension;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.job.ProgressReporter;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.train.TrainingMethod;

/**
 * The training methods as extensions: the built-in {@code sft}, {@code pt} and alignment methods are
 * found by name in the registry, check their arguments, and run a job through a {@link JobContext} that
 * sees its progress and cancels it part-way (the job then stops after a checkpoint of that step).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TrainingMethodsInFrameworkIT {

    @Inject
    ExtensionRegistry registry;

    @Configuration
    public Option[] config() throws Exception {
        return TestPlatform.platform(TestPlatform.newPluginsDir(), TestPlatform.freePort());
    }

    @Test
    public void theBuiltInMethodsAreListedAndRunAJobThatCanBeCancelled() throws Exception {
        List<String> names = registry.list(ExtensionKind.TRAINING_METHOD).stream()
                .map(ExtensionInfo::name)
                .toList();
        for (String name : List.of("sft", "pt", "dpo", "kto", "simpo", "orpo", "cpo", "rm", "grpo")) {
            assertTrue(name + " in " + names, names.contains(name));
        }
        Path demo = TestPlatform.root().resolve("distribution/src/main/dist/demo");
        Path out = Files.createTempDirectory("sft-job");
        try (ExtensionHandle<TrainingMethod> sft = registry.require(TrainingMethod.class, "sft")) {
            try {
                sft.get().validate(Arguments.of(Map.of("model", "m", "dataset", "d", "lora_rnak", "4")));
                fail("an unknown argument passed validation");
            } catch (IllegalArgumentException e) {
                assertTrue(
                        e.getMessage(),
                        e.getMessage().contains("unknown argument 'lora_rnak'; did you mean 'lora_rank'?"));
            }
            Arguments arguments = Arguments.of(Map.of(
                    "model",
                    demo.resolve("tiny-chat").toString(),
                    "dataset",
                    demo.resolve("data/qa.jsonl").toString(),
                    "max_steps",
                    "40",
                    "per_device_train_batch_size",
                    "4",
                    "learning_rate",
                    "1e-2",
                    "save_steps",
                    "0",
                    "logging_steps",
                    "1"));
            sft.get().validate(arguments);
            RecordingJob job = new RecordingJob(arguments, out, 5);
            sft.get().train(job);
            assertEquals("the job stopped at the step it was cancelled after", 5, job.lastStep.get());
            assertTrue(
                    "a checkpoint of that step",
                    Files.isRegularFile(out.resolve("checkpoint-5/adapter_model.safetensors")));
            assertTrue(job.messages.toString(), job.messages.stream().anyMatch(m -> m.startsWith("training ")));
            assertEquals(List.of("train 40"), job.phases);
        }
    }

    /** A job whose user cancels it after {@code cancelAfter} steps. */
    private final class RecordingJob implements JobContext, ProgressReporter {
        final Arguments arguments;
        final Path out;
        final long cancelAfter;
        final AtomicLong lastStep = new AtomicLong();
        final List<String> messages = new ArrayList<>();
        final List<String> phases = new ArrayList<>();

        RecordingJob(Arguments arguments, Path out, long cancelAfter) {
            this.arguments = arguments;
            this.out = out;
            this.cancelAfter = cancelAfter;
        }

        @Override
        public String jobId() {
            return "itest-sft";
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
            return DeviceId.parse("cpu");
        }

        @Override
        public ProgressReporter progress() {
            return this;
        }

        @Override
        public boolean isCancelled() {
            return lastStep.get() >= cancelAfter;
        }

        @Override
        public <T extends Extension> ExtensionHandle<T> extension(Class<T> type, String name) {
            return registry.require(type, name);
        }

        @Override
        public void begin(String phase, long totalSteps) {
            phases.add(phase + " " + totalSteps);
        }

        @Override
        public void step(long step, Map<String, Double> metrics) {
            assertTrue(metrics.toString(), metrics.containsKey("loss") && metrics.containsKey("learning_rate"));
            lastStep.set(step);
        }

        @Override
        public void message(String text) {
            messages.add(text);
        }
    }
}

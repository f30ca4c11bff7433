package dev.osprey.jobs.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.api.Extension;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.jobs.Job;
import dev.osprey.api.jobs.JobEvent;
import dev.osprey.api.jobs.JobRequest;
import dev.osprey.api.jobs.JobState;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.train.TrainingMethod;

/**
 * The job service on real folders with a training method whose steps the test releases one by one, so
 * queueing, cancelling and restarts are observed at exact points.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JobManagerTest {

    @TempDir
    Path dir;

    private final SteppedMethod method = new SteppedMethod();
    private final ExtensionRegistry registry = new OneMethodRegistry(method);

    @Test
    void oneJobPerDeviceRunsAtATimeAndTheNextWaits() throws Exception {
        JobManager jobs = new JobManager(dir.resolve("jobs"), registry);
        Job first = jobs.submit(request(3, dir.resolve("a")));
        Job second = jobs.submit(request(1, dir.resolve("b")));
        Job elsewhere = jobs.submit(new JobRequest(
                ExtensionKind.TRAINING_METHOD,
                "stepped",
                Arguments.of(
                        Map.of("max_steps", 1, "output_dir", dir.resolve("c").toString())),
                new DeviceId("cuda", 0)));
        awaitState(first, JobState.RUNNING);
        awaitState(elsewhere, JobState.RUNNING); // another device does not wait for the cpu
        assertEquals(JobState.QUEUED, second.state());
        method.permits.release(5);
        assertEquals(JobState.DONE, elsewhere.await(Duration.ofSeconds(10)));
        assertEquals(JobState.DONE, first.await(Duration.ofSeconds(10)));
        assertEquals(JobState.DONE, second.await(Duration.ofSeconds(10)));
        assertTrue(jobs.list().indexOf(second) < jobs.list().indexOf(first), "newest first");
        jobs.stop();
    }

    @Test
    void progressBecomesNumberedEventsThatReplayFromAnyOffset() throws Exception {
        JobManager jobs = new JobManager(dir.resolve("jobs"), registry);
        Job job = jobs.submit(request(4, dir.resolve("out")));
        method.permits.release(4);
        assertEquals(JobState.DONE, job.await(Duration.ofSeconds(10)));
        List<JobEvent> all = job.events(0);
        for (int i = 0; i < all.size(); i++) {
            assertEquals(i, all.get(i).sequence());
        }
        List<JobEvent> steps =
                all.stream().filter(e -> e.type() == JobEvent.Type.STEP).toList();
        assertEquals(4, steps.size());
        assertEquals(4, steps.get(3).step());
        assertEquals(4, steps.get(3).totalSteps());
        assertEquals(0.25, steps.get(3).metrics().get("loss"));
        assertTrue(steps.get(3).etaSeconds() >= 0, "an ETA once the rate is known");
        assertEquals(all.subList(5, all.size()), job.events(5));
        assertEquals(JobState.DONE, all.get(all.size() - 1).state());
        // a follower that is up to date gets nothing more from a finished job, at once
        assertEquals(List.of(), job.nextEvents(all.size(), Duration.ofSeconds(30)));
        jobs.stop();
    }

    @Test
    void aFollowerWaitsForTheNextEvent() throws Exception {
        JobManager jobs = new JobManager(dir.resolve("jobs"), registry);
        Job job = jobs.submit(request(2, dir.resolve("out")));
        awaitEvent(job, e -> e.type() == JobEvent.Type.BEGIN);
        long next = job.events(0).size();
        assertEquals(List.of(), job.nextEvents(next, Duration.ofMillis(50)), "nothing new yet");
        method.permits.release(1);
        List<JobEvent> got = job.nextEvents(next, Duration.ofSeconds(10));
        assertEquals(next, got.get(0).sequence());
        method.permits.release(1);
        job.await(Duration.ofSeconds(10));
        jobs.stop();
    }

    @Test
    void cancelLetsTheMethodCheckpointAndStop() throws Exception {
        JobManager jobs = new JobManager(dir.resolve("jobs"), registry);
        Path out = dir.resolve("out");
        Job job = jobs.submit(request(100, out));
        Job queued = jobs.submit(request(1, dir.resolve("never")));
        method.permits.release(2);
        awaitStep(job, 2);
        job.cancel();
        queued.cancel();
        assertEquals(JobState.CANCELLED, queued.state(), "a queued job is cancelled at once");
        method.permits.release(100);
        assertEquals(JobState.CANCELLED, job.await(Duration.ofSeconds(10)));
        Path checkpoint = job.lastCheckpoint().orElseThrow();
        assertTrue(Files.isRegularFile(checkpoint.resolve("trainer_state.json")), checkpoint.toString());
        assertEquals(checkpoint.toString(), job.result().orElseThrow());
        assertTrue(job.events(0).stream().anyMatch(e -> e.state() == JobState.CANCELLING));
        assertTrue(!Files.exists(dir.resolve("never")), "the cancelled queued job never ran");
        jobs.stop();
    }

    @Test
    void aRestartedServiceListsPastJobsAndShowsARunningOneAsInterrupted() throws Exception {
        JobManager before = new JobManager(dir.resolve("jobs"), registry);
        Job done = before.submit(request(1, dir.resolve("done")));
        method.permits.release(1);
        assertEquals(JobState.DONE, done.await(Duration.ofSeconds(10)));
        Job running = before.submit(request(100, dir.resolve("running")));
        method.permits.release(3);
        awaitStep(running, 3);
        method.checkpoint(dir.resolve("running"), 3); // as save_steps would have

        // the process "dies": a second service reads the folder while the first still holds the job
        JobManager after = new JobManager(dir.resolve("jobs"), registry);
        assertEquals(
                List.of(running.id(), done.id()),
                after.list().stream().map(Job::id).toList());
        Job restored = after.find(done.id()).orElseThrow();
        assertEquals(JobState.DONE, restored.state());
        assertEquals(done.events(0), restored.events(0), "the events survive, with their numbers");
        assertEquals(
                done.request().arguments().getString("output_dir"),
                restored.request().arguments().getString("output_dir"));
        Job interrupted = after.find(running.id()).orElseThrow();
        assertEquals(JobState.INTERRUPTED, interrupted.state());
        assertEquals(
                dir.resolve("running/checkpoint-3"),
                interrupted.lastCheckpoint().orElseThrow());
        assertTrue(
                interrupted
                        .failure()
                        .orElseThrow()
                        .message()
                        .contains("--resume_from_checkpoint " + dir.resolve("running/checkpoint-3")),
                interrupted.failure().toString());
        method.permits.release(1000);
        before.stop();
        after.stop();
    }

    @Test
    void aHubTokenReachesTheRunningJobButNeitherItsRecordNorItsJson() throws Exception {
        String token = "hf_jobSECRET0123456789";
        JobManager jobs = new JobManager(dir.resolve("jobs"), registry);
        Job job = jobs.submit(JobRequest.training(
                "stepped",
                Arguments.of(
                        Map.of("max_steps", 1, "output_dir", dir.resolve("out").toString(), "hub_token", token)),
                DeviceId.CPU));
        method.permits.release(1);
        assertEquals(JobState.DONE, job.await(Duration.ofSeconds(10)));
        assertEquals(token, method.lastToken, "the job itself gets the token");
        assertFalse(JobJson.job((JobRecord) job).toString().contains(token), "GET /api/jobs does not show it");
        assertFalse(job.request().arguments().toString().contains(token), "nor does a logged argument map");
        try (var files = Files.walk(dir.resolve("jobs"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertFalse(Files.readString(f).contains(token), "the token is written in " + f);
            }
        }
        jobs.stop();
    }

    @Test
    void aStoppingServiceInterruptsItsRunningJobAfterItsCheckpoint() throws Exception {
        JobManager jobs = new JobManager(dir.resolve("jobs"), registry);
        Job job = jobs.submit(request(100, dir.resolve("out")));
        method.permits.release(1);
        awaitStep(job, 1);
        method.permits.release(1000);
        jobs.stop();
        assertEquals(JobState.INTERRUPTED, job.state());
        assertTrue(job.lastCheckpoint().isPresent());
        assertEquals(
                JobState.INTERRUPTED,
                new JobManager(dir.resolve("jobs"), registry)
                        .find(job.id())
                        .orElseThrow()
                        .state());
    }

    @Test
    void badRequestsAreRefusedBeforeAnythingIsQueuedNamingTheField() throws Exception {
        JobManager jobs = new JobManager(dir.resolve("jobs"), registry);
        IllegalArgumentException unknown = assertThrows(
                IllegalArgumentException.class,
                () -> jobs.submit(JobRequest.training("sfft", Arguments.of(Map.of()), DeviceId.CPU)));
        assertTrue(
                unknown.getMessage().startsWith("method: ")
                        && unknown.getMessage().contains("stepped"),
                unknown.getMessage());
        IllegalArgumentException option = assertThrows(
                IllegalArgumentException.class,
                () -> jobs.submit(
                        JobRequest.training("stepped", Arguments.of(Map.of("max_steps", "many")), DeviceId.CPU)));
        assertTrue(option.getMessage().contains("--max_steps"), option.getMessage());
        assertEquals(List.of(), jobs.list());
        jobs.stop();
    }

    @Test
    void aFailingMethodFailsItsJobWithTheReason() throws Exception {
        JobManager jobs = new JobManager(dir.resolve("jobs"), registry);
        Job job = jobs.submit(JobRequest.training(
                "stepped", request(2, dir.resolve("out")).arguments().with("fail_at", 1), DeviceId.CPU));
        method.permits.release(2);
        assertEquals(JobState.FAILED, job.await(Duration.ofSeconds(10)));
        assertEquals("--dataset row 1 is bad", job.failure().orElseThrow().message());
        assertTrue(job.failure().orElseThrow().badInput());
        assertTrue(
                !Files.exists(dir.resolve("out")), "a job that failed before writing anything leaves no output folder");
        jobs.stop();
    }

    private static JobRequest request(int steps, Path out) {
        return JobRequest.training(
                "stepped", Arguments.of(Map.of("max_steps", steps, "output_dir", out.toString())), DeviceId.CPU);
    }

    private static void awaitState(Job job, JobState state) throws InterruptedException {
        long from = 0;
        while (job.state() != state) {
            List<JobEvent> events = job.nextEvents(from, Duration.ofSeconds(10));
            assertTrue(!events.isEmpty(), "no " + state + " within 10 s: " + job.state());
            from = events.get(events.size() - 1).sequence() + 1;
        }
    }

    private static void awaitStep(Job job, long step) throws InterruptedException {
        awaitEvent(job, e -> e.type() == JobEvent.Type.STEP && e.step() == step);
    }

    private static void awaitEvent(Job job, java.util.function.Predicate<JobEvent> wanted) throws InterruptedException {
        long from = 0;
        while (job.events(0).stream().noneMatch(wanted)) {
            List<JobEvent> events = job.nextEvents(from, Duration.ofSeconds(10));
            assertTrue(!events.isEmpty(), "not within 10 s: " + job.events(0));
            from = events.get(events.size() - 1).sequence() + 1;
        }
    }

    /** Runs {@code max_steps} steps, each when the test releases a permit; checkpoints when cancelled, as SftJob does. */
    static final class SteppedMethod implements TrainingMethod {
        final Semaphore permits = new Semaphore(0);
        volatile String lastToken;

        @Override
        public String name() {
            return "stepped";
        }

        @Override
        public void validate(Arguments arguments) {
            arguments.getInt("max_steps", 1);
        }

        @Override
        public void train(JobContext job) throws Exception {
            lastToken = job.arguments().getString("hub_token", null);
            int steps = job.arguments().getInt("max_steps", 1);
            job.progress().message("training " + steps + " steps");
            job.progress().begin("train", steps);
            for (int step = 1; step <= steps; step++) {
                permits.acquire();
                if (step == job.arguments().getInt("fail_at", -1)) {
                    throw new IllegalArgumentException("--dataset row " + step + " is bad");
                }
                job.progress().step(step, Map.of("loss", 1.0 / step));
                if (job.isCancelled()) {
                    checkpoint(job.outputDir(), step);
                    return;
                }
            }
        }

        void checkpoint(Path out, int step) throws java.io.IOException {
            Path dir = Files.createDirectories(out.resolve("checkpoint-" + step));
            Files.writeString(dir.resolve("trainer_state.json"), "{\"global_step\":" + step + "}");
        }
    }

    /** The extension registry as the kernel's answers it, holding one training method. */
    static final class OneMethodRegistry implements ExtensionRegistry {
        private final TrainingMethod method;

        OneMethodRegistry(TrainingMethod method) {
            this.method = method;
        }

        private ExtensionInfo info() {
            return new ExtensionInfo(ExtensionKind.TRAINING_METHOD, method.name(), "", "test", "0", 1);
        }

        @Override
        public List<ExtensionInfo> list(ExtensionKind kind) {
            return kind == ExtensionKind.TRAINING_METHOD ? List.of(info()) : List.of();
        }

        @Override
        public List<ExtensionInfo> all() {
            return List.of(info());
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T extends Extension> Optional<ExtensionHandle<T>> acquire(Class<T> type, String name) {
            if (type != TrainingMethod.class || !name.equals(method.name())) {
                return Optional.empty();
            }
            return Optional.of(new ExtensionHandle<T>() {
                @Override
                public T get() {
                    return (T) method;
                }

                @Override
                public ExtensionInfo info() {
                    return OneMethodRegistry.this.info();
                }

                @Override
                public boolean isAvailable() {
                    return true;
                }

                @Override
                public void close() {}
            });
        }

        @Override
        public <T extends Extension> ExtensionHandle<T> require(Class<T> type, String name) {
            return acquire(type, name)
                    .orElseThrow(() -> new IllegalArgumentException("no "
                            + ExtensionKind.of(type).map(ExtensionKind::label).orElse(type.getSimpleName()) + " named '"
                            + name + "'; installed: " + new ArrayList<>(List.of(method.name()))));
        }
    }
}

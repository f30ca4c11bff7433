package dev.osprey.jobs.impl;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.Extension;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.jobs.Job;
import dev.osprey.api.jobs.JobRequest;
import dev.osprey.api.jobs.JobService;
import dev.osprey.api.jobs.JobState;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.train.TrainingMethod;

/**
 * The {@link JobService}: one queue per device (a single thread, so one job at a time there, the rest in
 * order of submission), records in the jobs folder ({@value #FOLDER_PROPERTY}, by default
 * {@code work/jobs} under {@code osprey.home}), read back at start.
 */
@Component(service = JobService.class)
public class JobManager implements JobService {

    static final String FOLDER_PROPERTY = "osprey.jobs.dir";
    /** How long a stopping service waits for running jobs to save their checkpoint. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private static final Logger LOG = System.getLogger(JobManager.class.getName());
    private static final DateTimeFormatter ID_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final ExtensionRegistry extensions;
    private final JobStore store;
    private final Map<String, JobRecord> jobs = new LinkedHashMap<>();
    private final Map<DeviceId, ExecutorService> queues = new HashMap<>();
    private final SecureRandom random = new SecureRandom();
    private boolean stopping;

    @Activate
    public JobManager(@Reference ExtensionRegistry extensions, BundleContext context) throws IOException {
        this(folder(context), extensions);
    }

    JobManager(Path folder, ExtensionRegistry extensions) throws IOException {
        this.extensions = extensions;
        this.store = new JobStore(folder.toAbsolutePath().normalize());
        List<String> problems = new ArrayList<>();
        for (JobRecord.Saved saved : store.load(problems)) {
            JobRecord job = JobRecord.restored(saved, store);
            jobs.put(job.id(), job);
        }
        problems.forEach(p -> LOG.log(Level.WARNING, "skipped an unreadable job record: " + p));
    }

    private static Path folder(BundleContext context) {
        String configured = context.getProperty(FOLDER_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String home = context.getProperty("osprey.home");
        return Path.of(home == null ? "." : home, "work", "jobs");
    }

    @Override
    public Job submit(JobRequest request) {
        validate(request);
        String id = newId();
        Path output = request.arguments()
                .getString("output_dir")
                .map(p -> Path.of(p).toAbsolutePath().normalize())
                .orElse(store.jobFolder(id).resolve("output"));
        JobRequest resolved = new JobRequest(
                request.kind(),
                request.name(),
                request.arguments().with("output_dir", output.toString()),
                request.device());
        JobRecord job = new JobRecord(id, resolved, Instant.now(), output, store);
        ExecutorService queue;
        synchronized (this) {
            if (stopping) {
                throw new IllegalStateException("the job service is stopping");
            }
            jobs.put(id, job);
            queue = queues.computeIfAbsent(
                    resolved.device(),
                    d -> Executors.newSingleThreadExecutor(r -> {
                        Thread t = new Thread(r, "osprey-jobs-" + d);
                        t.setDaemon(true);
                        return t;
                    }));
        }
        job.changeState(JobState.QUEUED, null, null);
        queue.execute(() -> new JobRun(job, extensions).run());
        return job;
    }

    /** Fails fast, before anything is queued, on an unknown extension or its rejected options. */
    private void validate(JobRequest request) {
        Class<? extends Extension> type = switch (request.kind()) {
            case TRAINING_METHOD, EXPORTER, EVALUATOR -> request.kind().type();
            default ->
                throw new IllegalArgumentException("kind: jobs run training methods, exporters and evaluators, not "
                        + request.kind().label());
        };
        try (ExtensionHandle<? extends Extension> handle = require(type, request.name())) {
            if (handle.get() instanceof TrainingMethod method) {
                method.validate(request.arguments());
            }
        }
    }

    private ExtensionHandle<? extends Extension> require(Class<? extends Extension> type, String name) {
        try {
            return extensions.require(type, name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("method: " + e.getMessage(), e);
        }
    }

    private String newId() {
        byte[] bytes = new byte[3];
        random.nextBytes(bytes);
        return "job-" + ID_TIME.format(Instant.now()) + "-" + HexFormat.of().formatHex(bytes);
    }

    @Override
    public synchronized List<Job> list() {
        List<Job> all = new ArrayList<>(jobs.values());
        all.sort(Comparator.comparing(Job::submitted).thenComparing(Job::id).reversed());
        return all;
    }

    @Override
    public synchronized Optional<Job> find(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    /** Running jobs save a checkpoint and end INTERRUPTED; queued ones end INTERRUPTED at once. */
    @Deactivate
    void stop() throws InterruptedException {
        List<ExecutorService> running;
        List<JobRecord> open;
        synchronized (this) {
            running = new ArrayList<>(queues.values());
            stopping = true;
            open = jobs.values().stream().filter(j -> !j.state().isFinal()).toList();
        }
        open.forEach(JobRecord::interrupt);
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        for (ExecutorService queue : running) {
            queue.shutdown();
            queue.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        running.forEach(ExecutorService::shutdownNow);
    }
}

package dev.osprey.itest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A process a test starts ({@code bin/osprey}, {@code npm}). Its output is read on a thread of its own and
 * every wait has a deadline, so a process that hangs, or waits for input, cannot hang the build: past the
 * deadline it is killed with all its children and the test fails with the output so far.
 */
final class ChildProcess implements AutoCloseable {

    /** How a finished process ended: its exit code and what it printed (standard output and error). */
    record Result(int exit, String out) {}

    /** How long the rest of the output may take once the process ended (a child may still hold the pipe). */
    private static final long DRAIN_MILLIS = 10_000;

    private final String command;
    private final Process process;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final Thread reader;

    private ChildProcess(String command, Process process) {
        this.command = command;
        this.process = process;
        this.reader = new Thread(this::readOutput, "output of " + command);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code builder} with standard error merged into standard output. A builder that sends its
     * output to a file keeps doing so (the output read here is then empty).
     */
    static ChildProcess start(ProcessBuilder builder) throws IOException {
        return new ChildProcess(
                String.join(" ", builder.command()),
                builder.redirectErrorStream(true).start());
    }

    /** Runs {@code builder} to its end, at most for {@code timeout}. */
    static Result run(ProcessBuilder builder, Duration timeout) throws IOException, InterruptedException {
        try (ChildProcess child = start(builder)) {
            return child.waitFor(timeout);
        }
    }

    /** Writes {@code text} to the process's standard input and closes it. */
    ChildProcess input(String text) throws IOException {
        try (OutputStream in = process.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return this;
    }

    /** Writes {@code text} to the process's standard input and keeps it open (keys typed on a terminal). */
    ChildProcess type(String text) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write(text.getBytes(StandardCharsets.UTF_8));
        in.flush();
        return this;
    }

    /** Waits until the output so far contains {@code text}; fails with the output past {@code timeout}. */
    ChildProcess awaitOutput(String text, Duration timeout) throws InterruptedException {
        for (long deadline = System.nanoTime() + timeout.toNanos(); !output().contains(text); Thread.sleep(100)) {
            if (System.nanoTime() > deadline || !process.isAlive() && !output().contains(text)) {
                throw new AssertionError(command + " did not print '" + text + "' within " + timeout.toSeconds()
                        + " s; output:\n" + output());
            }
        }
        return this;
    }

    /** Waits for the end; past {@code timeout} kills the process tree and fails with the output so far. */
    Result waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
            throw new AssertionError(command + " did not finish within " + timeout.toSeconds()
                    + " s and was killed; output so far:\n" + output());
        }
        reader.join(DRAIN_MILLIS);
        return new Result(process.exitValue(), output());
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** What the process printed so far. */
    String output() {
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }

    /** Asks the process to end (SIGTERM to it, e.g. a server's shutdown); kills its tree if it has not within {@code grace}. */
    void stop(Duration grace) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
        }
    }

    /**
     * SIGKILL to the process and every descendant (the JVM that {@code bin/osprey} starts, the server that
     * {@code npm test} starts), as a crash would; fails if they do not go.
     */
    void kill() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError(command + " did not die within 30 s of SIGKILL");
        }
    }

    /** Leaves nothing running behind a test that failed half-way. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive() || process.descendants().anyMatch(ProcessHandle::isAlive)) {
            kill();
        }
    }

    private void readOutput() {
        byte[] buffer = new byte[8192];
        try (InputStream in = process.getInputStream()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                synchronized (output) {
                    output.write(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            // the stream closes when the process is killed: what was read is kept
        }
    }
}

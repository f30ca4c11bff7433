package dev.osprey.backend.remote.impl;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A serving program (vLLM, SGLang, LMDeploy) run as a child process: found on {@code PATH}, started
 * with its output in a log file, waited for until {@code /health} (or {@code /v1/models}) answers 200,
 * and stopped (SIGTERM, then SIGKILL after 15 s) on {@link #close()}.
 */
final class ChildServer implements AutoCloseable {

    private final Process process;
    private final Path log;

    private ChildServer(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** The program's path on {@code PATH}, if it is there. */
    static Optional<Path> onPath(String program) {
        if (program.contains(File.separator)) {
            Path p = Path.of(program);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * True when {@code python} can import {@code module}: asked of Python itself (it alone knows its
     * search path), without importing the module, so nothing of the server starts.
     */
    static boolean hasPythonModule(String python, String module) throws InterruptedException {
        try {
            Process check = new ProcessBuilder(
                            python,
                            "-c",
                            "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('" + module
                                    + "') else 3)")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!check.waitFor(30, TimeUnit.SECONDS)) {
                check.destroyForcibly();
                return false;
            }
            return check.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Starts {@code command} and waits until {@code baseUrl} is healthy.
     *
     * @throws IOException when the process exits or is not healthy within {@code timeout}, with the end of its log
     */
    static ChildServer start(List<String> command, String baseUrl, Duration timeout, HttpClient http)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile("osprey-" + Path.of(command.get(0)).getFileName() + "-", ".log");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        ChildServer child = new ChildServer(process, log);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("`" + String.join(" ", command) + "` exited with code " + process.exitValue()
                        + " before it was healthy; its output (" + log + ") ends with:\n" + child.tail());
            }
            if (answers(http, baseUrl + "/health") || answers(http, baseUrl + "/v1/models")) {
                return child;
            }
            Thread.sleep(500);
        }
        child.close();
        throw new IOException(
                "`" + String.join(" ", command) + "` was not healthy at " + baseUrl + " within " + timeout.toSeconds()
                        + " s (setting startup_timeout); its output (" + log + ") ends with:\n" + child.tail());
    }

    private static boolean answers(HttpClient http, String url) {
        try {
            HttpResponse<Void> r = http.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(2))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}

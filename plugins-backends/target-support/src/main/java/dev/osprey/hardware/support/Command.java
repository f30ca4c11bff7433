package dev.osprey.hardware.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Runs a detection program such as {@code nvidia-smi} or {@code npu-smi} with a time limit, so that a hung driver cannot
 * stall detection. The program's standard error is merged into its output.
 */
public final class Command {

    /** What a program printed and how it ended; {@code exitCode} is -1 when it ran past the limit. */
    public record Result(int exitCode, String output, boolean timedOut) {}

    private Command() {}

    /** @return empty when the program cannot be started (not installed, not executable) */
    public static Optional<Result> run(List<String> command, long timeoutSeconds) {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        try (InputStream in = process.getInputStream()) {
            process.getOutputStream().close();
            CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> readAll(in));
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return Optional.of(
                        new Result(-1, command.get(0) + " did not finish within " + timeoutSeconds + " s", true));
            }
            String text = new String(output.get(1, TimeUnit.SECONDS), StandardCharsets.UTF_8);
            return Optional.of(new Result(process.exitValue(), text, false));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return Optional.of(new Result(-1, command.get(0) + " was interrupted", true));
        } catch (IOException | ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            return Optional.of(new Result(-1, "cannot read the output of " + command.get(0) + ": " + e, false));
        }
    }

    /**
     * Runs {@code command} through {@code runner} (the real {@link #run} or a test's stand-in), turning
     * an exception into a failed result, so that detection never throws.
     */
    public static Optional<Result> attempt(Function<List<String>, Optional<Result>> runner, List<String> command) {
        try {
            return runner.apply(command);
        } catch (RuntimeException e) {
            return Optional.of(new Result(-1, String.valueOf(e.getMessage()), false));
        }
    }

    /** True when the program ran and exited with 0. */
    public static boolean succeeded(Optional<Result> result) {
        return result.isPresent() && result.get().exitCode() == 0;
    }

    /** Why a program gave no answer, in words: not installed, timed out, or its exit code and first lines. */
    public static String failure(Optional<Result> result, String program) {
        return result.map(r -> program + " failed (" + (r.timedOut() ? "timed out" : "exit " + r.exitCode()) + "): "
                        + firstLines(r.output()))
                .orElse(program + " is not installed");
    }

    private static String firstLines(String output) {
        String text = output.strip().lines().limit(3).collect(Collectors.joining(" "));
        return text.isEmpty() ? "no output" : text;
    }

    private static byte[] readAll(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}

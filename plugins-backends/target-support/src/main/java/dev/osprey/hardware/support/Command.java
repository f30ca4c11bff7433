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

/**
 * Runs a detection program such as {@code nvidia-smi} or {@code npu-smi} with a time limit, so that a hung driver cannot
 * stall detection. The program's standard error is merged into its output.
 */
public final class Command {

    /** What a program printed and how it ended; {@code exitCode} is -1 when it ran past the limit. */
    public record Result(int exitCode, String output, boolean timedOut) {
    }

    private Command() {
    }

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
                return Optional.of(new Result(-1, command.get(0) + " did not finish within " + timeoutSeconds + " s", true));
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

    private static byte[] readAll(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}

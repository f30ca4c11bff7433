package dev.osprey.cli.impl;

import java.io.Console;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What Ctrl-C does while this process follows a job that runs on a server. {@code bin/osprey} turns Ctrl-C into
 * SIGTERM for the JVM, so the question is asked from a shutdown hook: on a terminal, "cancel it on the server
 * too, or only stop following?" (no answer within {@link #ANSWER_SECONDS} s, or no terminal, only stops
 * following, so an unattended shutdown never hangs and never cancels anyone's job).
 */
final class FollowInterrupt implements AutoCloseable {

    /** Cancels the remote job and says what the server answered. */
    @FunctionalInterface
    interface Cancel {
        String cancel() throws Exception;
    }

    static final int ANSWER_SECONDS = 60;

    private final Thread hook;

    private FollowInterrupt(Thread hook) {
        this.hook = hook;
    }

    /** Asks on shutdown until {@link #close()}, which the follower calls once the job has ended. */
    static FollowInterrupt install(PrintWriter out, String jobId, Cancel cancel) {
        Thread hook = new Thread(() -> ask(out, jobId, cancel), "osprey-follow-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        return new FollowInterrupt(hook);
    }

    private static void ask(PrintWriter out, String jobId, Cancel cancel) {
        Console console = System.console();
        String detached = "stopped following job " + jobId + "; it goes on on the server";
        if (console == null) {
            out.println();
            out.println(detached);
            out.flush();
            return;
        }
        out.println();
        out.flush();
        // read on a daemon thread: the JVM must be able to end when nobody answers
        CompletableFuture<String> answer = new CompletableFuture<>();
        Thread reader = new Thread(
                () -> answer.complete(console.readLine(
                        "cancel job %s on the server too (it saves a checkpoint first)? [y/N] ", jobId)),
                "osprey-follow-answer");
        reader.setDaemon(true);
        reader.start();
        try {
            String reply = answer.get(ANSWER_SECONDS, TimeUnit.SECONDS);
            out.println(
                    reply != null && reply.trim().toLowerCase(Locale.ROOT).startsWith("y")
                            ? cancel.cancel()
                            : detached);
        } catch (TimeoutException e) {
            out.println();
            out.println("no answer within " + ANSWER_SECONDS + " s: " + detached);
        } catch (Exception e) {
            out.println("could not cancel job " + jobId + ": " + e.getMessage());
        }
        out.flush();
    }

    /** The job ended while followed: Ctrl-C no longer concerns it. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run: it asked already
        }
    }
}

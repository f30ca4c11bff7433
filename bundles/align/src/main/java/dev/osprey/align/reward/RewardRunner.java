package dev.osprey.align.reward;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/**
 * Scores the completions of a GRPO step with the job's reward functions ({@code --reward_funcs}), as TRL's
 * {@code _calculate_rewards} followed by the weighted sum: total = sum_i weight_i * score_i.
 *
 * <p>Each function runs on its own daemon thread, all at once, with {@code --reward_timeout} seconds from
 * the start of the step. A function that throws, runs out of time, returns the wrong number of scores or a
 * score that is not finite is reported by name and providing bundle ({@link ExtensionInfo}); under
 * {@link RewardFailurePolicy#FAIL} that ends the step with {@link RewardFailureException}, under
 * {@link RewardFailurePolicy#ZERO} the function scores 0 on every sample and a warning is logged and
 * returned. A function whose bundle went away meanwhile keeps scoring with the instance the job took, and
 * is reported once as a warning. A timed-out call is interrupted but may keep running in its thread; its result is ignored.
 *
 * <p>The runner does not own the handles: the job that acquired them closes them. Close the runner to stop
 * its threads.
 */
public final class RewardRunner implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RewardRunner.class.getName());
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final List<ExtensionHandle<RewardFunction>> functions;
    private final double[] weights;
    private final Duration timeout;
    private final RewardFailurePolicy policy;
    private final ExecutorService executor;
    private final Set<Long> reportedGone = ConcurrentHashMap.newKeySet();

    /**
     * @param functions the reward functions, in {@code --reward_funcs} order
     * @param weights one per function ({@code --reward_weights}), or null for all 1
     * @param timeout per step ({@code --reward_timeout})
     * @param policy what a failure does ({@code --reward_failure})
     */
    public RewardRunner(
            List<ExtensionHandle<RewardFunction>> functions,
            double[] weights,
            Duration timeout,
            RewardFailurePolicy policy) {
        if (functions.isEmpty()) {
            throw new IllegalArgumentException("--reward_funcs names no reward function");
        }
        if (weights != null && weights.length != functions.size()) {
            throw new IllegalArgumentException("--reward_weights has " + weights.length
                    + " values but --reward_funcs names " + functions.size() + " functions (" + names(functions) + ")");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(
                    "--reward_timeout must be > 0 seconds, got " + timeout.toMillis() / 1000.0);
        }
        this.functions = List.copyOf(functions);
        this.weights = weights == null ? filled(functions.size()) : weights.clone();
        for (double w : this.weights) {
            if (!Double.isFinite(w)) {
                throw new IllegalArgumentException("--reward_weights must be finite numbers, got " + w);
            }
        }
        this.timeout = timeout;
        this.policy = policy;
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "osprey-reward-" + THREADS.incrementAndGet());
            t.setDaemon(true); // a reward stuck past its timeout must not keep the JVM alive
            return t;
        };
        this.executor = Executors.newCachedThreadPool(threads);
    }

    /** Parses {@code --reward_weights} ("1 0.5" or "1,0.5"); empty or null gives null (all 1). */
    public static double[] parseWeights(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String[] parts = value.trim().split("[\\s,]+");
        double[] w = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                w[i] = Double.parseDouble(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--reward_weights: '" + parts[i] + "' is not a number", e);
            }
        }
        return w;
    }

    /** Scores one step's samples; see the class comment for failures. */
    public RewardScores score(List<RewardSample> samples) {
        List<RewardSample> batch = List.copyOf(samples);
        List<Future<double[]>> futures = new ArrayList<>();
        for (ExtensionHandle<RewardFunction> f : functions) {
            RewardFunction function = f.get();
            futures.add(executor.submit(() -> function.score(batch)));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        double[] total = new double[batch.size()];
        Map<String, double[]> perFunction = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        for (int i = 0; i < functions.size(); i++) {
            ExtensionHandle<RewardFunction> f = functions.get(i);
            if (!f.isAvailable() && reportedGone.add(f.info().serviceId())) {
                String warning = describe(f.info()) + " was unregistered (its bundle stopped, updated or removed);"
                        + " this job keeps the instance it started with";
                LOG.log(System.Logger.Level.WARNING, warning);
                warnings.add(warning);
            }
            double[] scores;
            try {
                scores = check(f.info(), await(f.info(), futures.get(i), deadline), batch.size());
            } catch (RewardFailureException e) {
                if (policy == RewardFailurePolicy.FAIL) {
                    futures.forEach(future -> future.cancel(true));
                    throw e;
                }
                String warning = e.getMessage() + "; scored 0 (--reward_failure zero)";
                LOG.log(System.Logger.Level.WARNING, warning);
                warnings.add(warning);
                scores = new double[batch.size()];
            }
            perFunction.put(f.info().name(), scores);
            for (int s = 0; s < scores.length; s++) {
                total[s] += weights[i] * scores[s];
            }
        }
        return new RewardScores(total, perFunction, warnings);
    }

    private double[] await(ExtensionInfo info, Future<double[]> future, long deadline) {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new RewardFailureException(
                    info.name(),
                    describe(info) + " did not answer within --reward_timeout " + timeout.toMillis() / 1000.0 + " s",
                    e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new RewardFailureException(info.name(), describe(info) + " threw " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw new RewardFailureException(info.name(), "interrupted while waiting for " + describe(info), e);
        }
    }

    private static double[] check(ExtensionInfo info, double[] scores, int expected) {
        if (scores == null || scores.length != expected) {
            throw new RewardFailureException(
                    info.name(),
                    describe(info) + " returned " + (scores == null ? "null" : scores.length + " scores") + " for "
                            + expected + " samples",
                    null);
        }
        for (int s = 0; s < scores.length; s++) {
            if (!Double.isFinite(scores[s])) {
                throw new RewardFailureException(
                        info.name(),
                        describe(info) + " returned " + scores[s] + " for sample " + s + "; scores must be finite",
                        null);
            }
        }
        return scores.clone();
    }

    /** {@code reward 'accuracy' (bundle dev.osprey.rewards.builtin 1.1.0)}. */
    static String describe(ExtensionInfo info) {
        return "reward '" + info.name() + "' (bundle " + info.bundleSymbolicName() + " " + info.bundleVersion() + ")";
    }

    private static String names(List<ExtensionHandle<RewardFunction>> functions) {
        return String.join(", ", functions.stream().map(f -> f.info().name()).toList());
    }

    private static double[] filled(int n) {
        double[] w = new double[n];
        Arrays.fill(w, 1.0);
        return w;
    }

    /** Stops the runner's threads (a reward still running past its timeout is interrupted). */
    @Override
    public void close() {
        executor.shutdownNow();
    }
}

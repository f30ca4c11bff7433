package dev.osprey.api.reward;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

import dev.osprey.api.Extension;

/**
 * Scores completions, for GRPO and other online methods; selected with {@code --reward_funcs NAME}.
 * A custom reward is a small bundle that publishes this service (a DS component) and imports only this
 * API; dropped into {@code plugins/} of a running Osprey it is usable by its name without a restart.
 *
 * <p>{@link #score} is called from the job's thread, possibly for several jobs at once, and must be
 * thread-safe. It has {@code --reward_timeout} seconds; a call that throws or runs out of time is
 * reported with the function's name and bundle, and the job's policy decides whether that fails the job
 * or scores 0 with a warning. A running job keeps the instance it acquired at its start even if the
 * bundle is removed meanwhile (the removed bundle's classes stay loaded until the job releases it).
 */
@ConsumerType
public interface RewardFunction extends Extension {

    /**
     * @param samples the completions of one step, with their prompts and dataset columns
     * @return one finite score per sample, in order
     */
    double[] score(List<RewardSample> samples) throws Exception;
}

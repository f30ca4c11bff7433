package dev.osprey.align.reward;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/** Small real reward functions that behave well or badly, and a handle as the kernel hands them out. */
final class TestRewards {

    private TestRewards() {}

    /** A handle on an instance, with the bundle the kernel would report. */
    static final class Handle implements ExtensionHandle<RewardFunction> {
        private final RewardFunction function;
        private final ExtensionInfo info;
        private final AtomicBoolean closed = new AtomicBoolean();

        Handle(RewardFunction function, String bundle, String version) {
            this.function = function;
            this.info = new ExtensionInfo(ExtensionKind.REWARD_FUNCTION, function.name(), "", bundle, version, 1);
        }

        @Override
        public RewardFunction get() {
            return function;
        }

        @Override
        public ExtensionInfo info() {
            return info;
        }

        @Override
        public boolean isAvailable() {
            return !closed.get();
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    /** Scores the completion's length in characters. */
    static final class LengthReward implements RewardFunction {
        @Override
        public String name() {
            return "length";
        }

        @Override
        public double[] score(List<RewardSample> samples) {
            return samples.stream().mapToDouble(s -> s.completion().length()).toArray();
        }
    }

    /** 1 when the completion contains "yes". */
    static final class YesReward implements RewardFunction {
        @Override
        public String name() {
            return "yes";
        }

        @Override
        public double[] score(List<RewardSample> samples) {
            return samples.stream()
                    .mapToDouble(s -> s.completion().contains("yes") ? 1 : 0)
                    .toArray();
        }
    }

    /** Throws as a buggy plugin would. */
    static final class ThrowingReward implements RewardFunction {
        @Override
        public String name() {
            return "broken";
        }

        @Override
        public double[] score(List<RewardSample> samples) {
            throw new IllegalStateException("solution column missing");
        }
    }

    /** Sleeps far past any sensible timeout (a remote judge that hangs). */
    static final class SleepingReward implements RewardFunction {
        @Override
        public String name() {
            return "slow";
        }

        @Override
        public double[] score(List<RewardSample> samples) throws InterruptedException {
            Thread.sleep(60_000);
            return new double[samples.size()];
        }
    }

    /** Returns NaN for the second sample. */
    static final class NanReward implements RewardFunction {
        @Override
        public String name() {
            return "nan";
        }

        @Override
        public double[] score(List<RewardSample> samples) {
            double[] s = new double[samples.size()];
            if (s.length > 1) {
                s[1] = Double.NaN;
            }
            return s;
        }
    }

    /** Returns one score too few. */
    static final class ShortReward implements RewardFunction {
        @Override
        public String name() {
            return "short";
        }

        @Override
        public double[] score(List<RewardSample> samples) {
            return new double[Math.max(0, samples.size() - 1)];
        }
    }
}

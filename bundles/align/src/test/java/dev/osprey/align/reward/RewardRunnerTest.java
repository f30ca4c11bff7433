package dev.osprey.align.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/** The runner with real reward functions, well-behaved and not. */
class RewardRunnerTest {

    private static final List<RewardSample> SAMPLES = List.of(sample("yes!"), sample("no"), sample("yes, 42"));

    private static RewardSample sample(String completion) {
        return new RewardSample(List.of(ChatMessage.of("user", "answer")), completion, new int[0], Map.of());
    }

    private static ExtensionHandle<RewardFunction> handle(RewardFunction f) {
        return new TestRewards.Handle(f, "com.example.rewards", "2.3.0");
    }

    private static RewardRunner runner(RewardFailurePolicy policy, double[] weights, RewardFunction... functions) {
        return new RewardRunner(
                java.util.Arrays.stream(functions).map(RewardRunnerTest::handle).toList(),
                weights,
                Duration.ofMillis(500),
                policy);
    }

    @Test
    void totalIsTheWeightedSumAndEachFunctionIsKept() {
        try (RewardRunner r = runner(
                RewardFailurePolicy.FAIL,
                new double[] {0.5, 2.0},
                new TestRewards.LengthReward(),
                new TestRewards.YesReward())) {
            RewardScores scores = r.score(SAMPLES);
            assertArrayEquals(new double[] {0.5 * 4 + 2, 0.5 * 2, 0.5 * 7 + 2}, scores.total(), 1e-12);
            assertArrayEquals(new double[] {4, 2, 7}, scores.perFunction().get("length"), 0);
            assertEquals(
                    List.of("length", "yes"), List.copyOf(scores.perFunction().keySet()));
            assertEquals(13.0 / 3, scores.mean("length"), 1e-12);
            double m = 13.0 / 3;
            assertEquals(
                    Math.sqrt(((4 - m) * (4 - m) + (2 - m) * (2 - m) + (7 - m) * (7 - m)) / 2),
                    scores.std("length"),
                    1e-12);
            assertTrue(scores.warnings().isEmpty());
        }
    }

    @Test
    void weightsDefaultToOne() {
        try (RewardRunner r =
                runner(RewardFailurePolicy.FAIL, null, new TestRewards.LengthReward(), new TestRewards.YesReward())) {
            assertArrayEquals(new double[] {5, 2, 8}, r.score(SAMPLES).total(), 0);
        }
    }

    @Test
    void aThrowingRewardFailsTheJobNamingFunctionAndBundle() {
        try (RewardRunner r =
                runner(RewardFailurePolicy.FAIL, null, new TestRewards.YesReward(), new TestRewards.ThrowingReward())) {
            RewardFailureException e = assertThrows(RewardFailureException.class, () -> r.score(SAMPLES));
            assertTrue(e.getMessage().contains("reward 'broken' (bundle com.example.rewards 2.3.0)"), e.getMessage());
            assertTrue(e.getMessage().contains("solution column missing"), e.getMessage());
            assertEquals("broken", e.rewardName());
        }
    }

    @Test
    void underTheZeroPolicyAFailureScoresZeroAndWarns() {
        try (RewardRunner r =
                runner(RewardFailurePolicy.ZERO, null, new TestRewards.YesReward(), new TestRewards.ThrowingReward())) {
            RewardScores scores = r.score(SAMPLES);
            assertArrayEquals(new double[] {1, 0, 1}, scores.total(), 0);
            assertArrayEquals(new double[] {0, 0, 0}, scores.perFunction().get("broken"), 0);
            assertEquals(1, scores.warnings().size());
            assertTrue(
                    scores.warnings().get(0).contains("bundle com.example.rewards 2.3.0"),
                    scores.warnings().get(0));
        }
    }

    @Test
    void aHangingRewardTimesOut() {
        long start = System.nanoTime();
        try (RewardRunner r = runner(RewardFailurePolicy.FAIL, null, new TestRewards.SleepingReward())) {
            RewardFailureException e = assertThrows(RewardFailureException.class, () -> r.score(SAMPLES));
            assertTrue(e.getMessage().contains("reward 'slow' (bundle com.example.rewards 2.3.0)"), e.getMessage());
            assertTrue(e.getMessage().contains("--reward_timeout 0.5 s"), e.getMessage());
        }
        assertTrue((System.nanoTime() - start) / 1e9 < 5, "the runner waited only for the timeout");
        try (RewardRunner r =
                runner(RewardFailurePolicy.ZERO, null, new TestRewards.SleepingReward(), new TestRewards.YesReward())) {
            RewardScores scores = r.score(SAMPLES);
            assertArrayEquals(new double[] {1, 0, 1}, scores.total(), 0);
            assertTrue(
                    scores.warnings().get(0).contains("did not answer"),
                    scores.warnings().get(0));
        }
    }

    @Test
    void nonFiniteOrMiscountedScoresAreFailures() {
        try (RewardRunner r = runner(RewardFailurePolicy.FAIL, null, new TestRewards.NanReward())) {
            RewardFailureException e = assertThrows(RewardFailureException.class, () -> r.score(SAMPLES));
            assertTrue(
                    e.getMessage()
                            .contains("reward 'nan' (bundle com.example.rewards 2.3.0) returned NaN for sample 1"),
                    e.getMessage());
        }
        try (RewardRunner r = runner(RewardFailurePolicy.FAIL, null, new TestRewards.ShortReward())) {
            RewardFailureException e = assertThrows(RewardFailureException.class, () -> r.score(SAMPLES));
            assertTrue(e.getMessage().contains("returned 2 scores for 3 samples"), e.getMessage());
        }
    }

    @Test
    void aRemovedBundleIsReportedOnceAndTheJobKeepsItsInstance() {
        TestRewards.Handle yes = new TestRewards.Handle(new TestRewards.YesReward(), "com.example.rewards", "2.3.0");
        try (RewardRunner r = new RewardRunner(List.of(yes), null, Duration.ofSeconds(5), RewardFailurePolicy.FAIL)) {
            assertTrue(r.score(SAMPLES).warnings().isEmpty());
            yes.close(); // what the kernel's handle reports once the service is unregistered
            RewardScores after = r.score(SAMPLES);
            assertArrayEquals(new double[] {1, 0, 1}, after.total(), 0);
            assertEquals(1, after.warnings().size());
            assertTrue(
                    after.warnings()
                            .get(0)
                            .contains("reward 'yes' (bundle com.example.rewards 2.3.0) was unregistered"),
                    after.warnings().get(0));
            assertTrue(r.score(SAMPLES).warnings().isEmpty(), "reported once");
        }
    }

    @Test
    void badSettingsNameTheirOption() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> runner(RewardFailurePolicy.FAIL, new double[] {1, 2, 3}, new TestRewards.YesReward()));
        assertTrue(e.getMessage().contains("--reward_weights has 3 values"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RewardFailurePolicy.parse("skip"))
                .getMessage()
                .contains("--reward_failure"));
        assertArrayEquals(new double[] {1, 0.5}, RewardRunner.parseWeights("1 0.5"), 0);
        assertArrayEquals(new double[] {1, 0.5}, RewardRunner.parseWeights("1,0.5"), 0);
        assertNull(RewardRunner.parseWeights(" "));
        assertThrows(IllegalArgumentException.class, () -> RewardRunner.parseWeights("1 x"));
    }
}

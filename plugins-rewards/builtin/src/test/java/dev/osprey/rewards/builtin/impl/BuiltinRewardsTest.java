package dev.osprey.rewards.builtin.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/** The five built-in rewards against values worked out by hand from ms-swift's formulas. */
class BuiltinRewardsTest {

    private static final double TOL = 1e-12;

    private static RewardSample sample(String completion, String solution, int tokens) {
        int[] ids = new int[tokens];
        Arrays.fill(ids, 7);
        Map<String, Object> columns = solution == null ? Map.of() : Map.of("solution", solution);
        return new RewardSample(List.of(ChatMessage.of("user", "q")), completion, ids, columns);
    }

    private static double one(RewardFunction f, String completion, String solution) throws Exception {
        return f.score(List.of(sample(completion, solution, completion.isEmpty() ? 0 : 5)))[0];
    }

    @Test
    void namesAreMsSwifts() {
        assertEquals(
                List.of("accuracy", "format", "cosine", "repetition", "soft_overlong"),
                List.of(
                        new AccuracyReward().name(),
                        new FormatReward().name(),
                        new CosineReward().name(),
                        new RepetitionReward().name(),
                        new SoftOverlongReward().name()));
    }

    @Test
    void accuracyComparesTheFinalAnswer() throws Exception {
        AccuracyReward acc = new AccuracyReward();
        assertEquals(1.0, one(acc, "so the answer is \\boxed{42}.", "42"));
        assertEquals(1.0, one(acc, "first \\boxed{3}, corrected: \\boxed{4}", "4"), "the last box counts");
        assertEquals(0.0, one(acc, "first \\boxed{4}, corrected: \\boxed{3}", "4"));
        assertEquals(1.0, one(acc, "<think>sum</think><answer>The total is 1,234</answer>", "work... #### 1234"));
        assertEquals(1.0, one(acc, "\\boxed{\\dfrac{1}{2}}", "0.5"), "fractions compare as numbers");
        assertEquals(1.0, one(acc, "$0.50$ is \\boxed{0.50}", "$\\frac{1}{2}$"));
        assertEquals(1.0, one(acc, "\\boxed{x = 5}", "5"));
        assertEquals(1.0, one(acc, "\\boxed{\\sqrt{2}}", "\\sqrt{2}"), "nested braces, compared as text");
        assertEquals(0.0, one(acc, "\\boxed{\\sqrt{3}}", "\\sqrt{2}"));
        assertEquals(1.0, one(acc, "maybe 7, no: 8", "8"), "else the last number");
        assertEquals(0.0, one(acc, "maybe 8, no: 7", "8"));
        assertEquals(0.0, one(acc, "I do not know", "3"));
        assertEquals(0.0, one(acc, "\\boxed{3}", " "), "a blank solution scores 0");
        assertEquals(1.0, one(acc, "\\boxed{50\\%}", "50"));
    }

    @Test
    void accuracyWithoutSolutionColumnNamesTheSample() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new AccuracyReward().score(List.of(sample("\\boxed{1}", "1", 3), sample("\\boxed{1}", null, 3))));
        assertTrue(e.getMessage().contains("'solution' column; sample 1"), e.getMessage());
    }

    @Test
    void formatNeedsThinkThenAnswerAndNothingElse() throws Exception {
        FormatReward f = new FormatReward();
        assertEquals(1.0, one(f, "<think>a\nb</think>\n<answer>c</answer>", null));
        assertEquals(1.0, one(f, "<think></think><answer>\n42\n</answer>", null));
        assertEquals(0.0, one(f, "<think>a</think>\n<answer>c</answer>\n", null), "trailing text, even a newline");
        assertEquals(0.0, one(f, "ok <think>a</think><answer>c</answer>", null));
        assertEquals(0.0, one(f, "<answer>c</answer>", null));
        assertEquals(0.0, one(f, "<think>a</think> and <answer>c</answer>", null));
    }

    @Test
    void cosineFollowsTheLengthSchedule() throws Exception {
        CosineReward cos = new CosineReward();
        double[] scores = cos.score(List.of(
                sample("\\boxed{1}", "1", 250),
                sample("\\boxed{2}", "1", 500),
                sample("\\boxed{1}", "1", 1000),
                sample("\\boxed{2}", "1", 1000),
                sample("\\boxed{2}", "1", 1)));
        // correct, L=250: 1 - (1 - 0.5) * (1 - cos(pi/4)) / 2
        assertEquals(1 - 0.25 * (1 - Math.sqrt(2) / 2), scores[0], TOL);
        assertEquals(0.9267766952966369, scores[0], 1e-12);
        // wrong, L=500: -0.5 - (-0.5 - 0) * (1 - cos(pi/2)) / 2 = -0.25
        assertEquals(-0.25, scores[1], TOL);
        assertEquals(0.5, scores[2], TOL);
        assertEquals(0.0, scores[3], TOL);
        assertTrue(scores[4] < -0.49, "short and wrong loses most");

        CosineReward custom = new CosineReward(Map.of("cosine_max_len", "500", "cosine_max_len_value_correct", "0.2"));
        assertEquals(0.2, custom.score(List.of(sample("\\boxed{1}", "1", 500)))[0], TOL);
        assertThrows(IllegalArgumentException.class, () -> new CosineReward(Map.of("cosine_max_len", "long")));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> cos.score(List.of(sample("\\boxed{1}", "1", 0))));
        assertTrue(e.getMessage().contains("no completion token ids"), e.getMessage());
    }

    @Test
    void repetitionPenalisesRepeatedTrigrams() throws Exception {
        RepetitionReward rep = new RepetitionReward();
        // trigrams: (a b c) (b c a) (c a b) (a b c): 3 distinct of 4
        assertEquals(-0.25, one(rep, "a b c a b c", null), TOL);
        // (x x x) three times: 1 distinct of 3
        assertEquals(-2.0 / 3, one(rep, "x x x x x", null), TOL);
        assertEquals(0.0, one(rep, "the cat sat on the mat", null), TOL);
        assertEquals(0.0, one(rep, "too short", null), TOL);
        assertEquals(0.0, one(rep, "", null), TOL);
        // case-insensitive, any whitespace; unigrams: 1 distinct of 4, scaled by -0.5
        RepetitionReward uni =
                new RepetitionReward(Map.of("repetition_n_grams", "1", "repetition_max_penalty", "-0.5"));
        assertEquals(-0.5 * 0.75, uni.score(List.of(sample("The the\nTHE\tthe", null, 4)))[0], TOL);
        assertThrows(IllegalArgumentException.class, () -> new RepetitionReward(Map.of("repetition_max_penalty", "1")));
    }

    @Test
    void softOverlongPunishesTheLastCacheTokens() throws Exception {
        SoftOverlongReward soft = new SoftOverlongReward(Map.of("soft_max_length", "100", "soft_cache_length", "20"));
        double[] scores = soft.score(List.of(
                sample("x", null, 70),
                sample("x", null, 80),
                sample("x", null, 90),
                sample("x", null, 100),
                sample("x", null, 110)));
        assertArrayEquals(new double[] {0.0, 0.0, -0.5, -1.0, -1.5}, scores, TOL);
        IllegalStateException e = assertThrows(
                IllegalStateException.class, () -> new SoftOverlongReward().score(List.of(sample("x", null, 3))));
        assertTrue(e.getMessage().contains("soft_cache_length"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> new SoftOverlongReward(Map.of("soft_max_length", "100", "soft_cache_length", "100")));
    }
}

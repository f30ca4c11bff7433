package com.example.osprey.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.reward.RewardSample;

class LengthRewardTest {

    private final LengthReward reward = new LengthReward();

    private static RewardSample sample(String completion) {
        return new RewardSample(List.of(ChatMessage.of("user", "请介绍一下你自己")), completion, new int[0], Map.of());
    }

    @Test
    void bannedWordScoresMinusOneWhateverTheLength() throws Exception {
        String longBanned = "这是一个很长的回答。".repeat(10) + "违法";
        double[] scores = reward.score(List.of(sample("这样做是违法的"), sample(longBanned)));
        assertArrayEquals(new double[] {-1.0, -1.0}, scores);
    }

    @Test
    void longCompletionScoresPointEight() throws Exception {
        String english = "The quick brown fox jumps over the lazy dog, again and again and again.";
        String chinese = "人工智能".repeat(13); // 52 chars
        assertArrayEquals(new double[] {0.8, 0.8}, reward.score(List.of(sample(english), sample(chinese))));
    }

    @Test
    void shortCompletionScoresPointFive() throws Exception {
        assertArrayEquals(
                new double[] {0.5, 0.5, 0.5},
                reward.score(List.of(sample("你好，我是一个助手。"), sample(""), sample("x".repeat(50)))));
    }

    @Test
    void lengthCountsUtf16CodeUnits() {
        // 26 emoji outside the BMP: 26 code points, 52 code units -> long
        assertEquals(0.8, LengthReward.score("😀".repeat(26)));
        assertEquals(0.5, LengthReward.score("x".repeat(50)));
        assertEquals(0.8, LengthReward.score("x".repeat(51)));
    }

    @Test
    void scoresAreInOrder() throws Exception {
        assertArrayEquals(
                new double[] {0.5, -1.0, 0.8},
                reward.score(List.of(sample("短"), sample("违法"), sample("长".repeat(60)))));
    }

    @Test
    void emptyBatchGivesEmptyScores() throws Exception {
        assertEquals(0, reward.score(List.of()).length);
    }

    @Test
    void nameAndDescription() {
        assertEquals("custom_length", reward.name());
        assertEquals("length-aware example reward (v2.0.0)", LengthReward.describe("2.0.0"));
    }
}

package dev.osprey.eval.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** ROUGE and BLEU of texts whose n-grams are counted by hand beside each assertion. */
class TextOverlapTest {

    @Test
    void tokensAreWordsMarksAndSingleCjkCharacters() {
        assertEquals(List.of("it", "is", "mount", "everest", "."), TextOverlap.tokens("It is Mount Everest."));
        assertEquals(List.of("首", "都", "是", "北", "京", "。"), TextOverlap.tokens("首都是北京。"));
    }

    @Test
    void rougeAndBleuAreTheHandCounts() {
        // reference: the cat sat on the mat (6), candidate: the cat lay on the mat today (7)
        Map<String, Double> s = TextOverlap.scores("the cat lay on the mat today", "The cat sat on the mat");
        // unigrams: the, cat, on, the, mat match = 5
        assertEquals(5 / 6.0, s.get("rouge-1-r"), 1e-12);
        assertEquals(5 / 7.0, s.get("rouge-1-p"), 1e-12);
        assertEquals(2 * (5 / 6.0) * (5 / 7.0) / (5 / 6.0 + 5 / 7.0), s.get("rouge-1-f"), 1e-12);
        // bigrams: "the cat", "on the", "the mat" match = 3 of 5 (reference) and 6 (candidate)
        assertEquals(3 / 5.0, s.get("rouge-2-r"), 1e-12);
        assertEquals(3 / 6.0, s.get("rouge-2-p"), 1e-12);
        // longest common subsequence: the cat on the mat = 5
        assertEquals(5 / 6.0, s.get("rouge-l-r"), 1e-12);
        // the candidate is longer: no brevity penalty; BLEU-n is the clipped n-gram precision
        assertEquals(5 / 7.0, s.get("bleu-1"), 1e-12);
        assertEquals(3 / 6.0, s.get("bleu-2"), 1e-12);
        assertEquals(1 / 5.0, s.get("bleu-3"), 1e-12); // "on the mat"
        assertEquals(0.0, s.get("bleu-4"), 1e-12);
    }

    @Test
    void bleuClipsRepeatsAndPenalisesShortCandidates() {
        // "the the the" against "the cat": one "the" available; candidate 3 tokens > 2, no penalty
        assertEquals(1 / 3.0, TextOverlap.scores("the the the", "the cat").get("bleu-1"), 1e-12);
        // "cat" against "the cat sat": precision 1, brevity exp(1 - 3/1)
        assertEquals(Math.exp(-2), TextOverlap.scores("cat", "the cat sat").get("bleu-1"), 1e-12);
        assertEquals(0.0, TextOverlap.scores("", "the cat").get("rouge-l-f"), 1e-12);
    }
}

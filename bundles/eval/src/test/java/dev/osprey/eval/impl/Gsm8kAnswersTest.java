package dev.osprey.eval.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.osprey.eval.impl.GenerationEvaluator.Problem;

/** GSM8K's answer filters and exact match as lm-eval-harness applies them, on solutions written the usual way. */
class Gsm8kAnswersTest {

    private static final Gsm8kEvaluator GSM8K = new Gsm8kEvaluator(null, null);

    @Test
    void strictMatchTakesTheFirstNumberAfterTheMarker() {
        String solution = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72\n\nQuestion: #### 5";
        assertEquals("72", Gsm8kEvaluator.strictMatch(solution));
        assertEquals("1,234.", Gsm8kEvaluator.strictMatch("so #### 1,234."));
        assertEquals("", Gsm8kEvaluator.strictMatch("The answer is 72."));
    }

    @Test
    void flexibleExtractTakesTheLastNumber() {
        assertEquals("72.", Gsm8kEvaluator.flexibleExtract("48 + 24 = 72 clips, so the answer is 72."));
        assertEquals("$1,000", Gsm8kEvaluator.flexibleExtract("She pays $1,000"));
        assertEquals("7", Gsm8kEvaluator.flexibleExtract("3 + 4 gives 7 apples"));
        assertEquals("-3", Gsm8kEvaluator.flexibleExtract("the change is -3"));
        assertEquals("", Gsm8kEvaluator.flexibleExtract("no numbers here"));
    }

    @Test
    void exactMatchIgnoresCommasDollarsAndAFinalPeriod() {
        Problem problem = new Problem("main", 0, "q", "... #### 1234", "1234");
        assertTrue(GSM8K.isCorrect("$1,234.", problem));
        assertTrue(GSM8K.isCorrect("1234", problem));
        assertFalse(GSM8K.isCorrect("1234.5", problem));
        assertFalse(GSM8K.isCorrect("", problem));
        assertEquals("72", Gsm8kEvaluator.normalised("So 24 + 48 = 72.\n#### 72"));
    }
}

package dev.osprey.eval.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** MATH's answer extraction and equivalence on answers written the ways the benchmark's solutions write them. */
class MathAnswersTest {

    @Test
    void theLastBoxedAnswerIsTakenWithItsBraces() {
        assertEquals(
                "\\frac{\\sqrt{3}}{2}",
                MathAnswers.lastBoxed("First $\\boxed{1}$, then $\\boxed{\\frac{\\sqrt{3}}{2}}$."));
        assertEquals("5", MathAnswers.lastBoxed("so the answer is $\\boxed 5$."));
        assertEquals("x", MathAnswers.lastBoxed("\\fbox{x}"));
        assertEquals("", MathAnswers.lastBoxed("the answer is $\\boxed{\\frac{1}{2"));
        assertEquals("", MathAnswers.lastBoxed("no box"));
    }

    @Test
    void lmEvalHarnessReadsBetweenTheFirstAndLastDollar() {
        assertEquals("\\frac{1}{2}", MathAnswers.betweenDollars(" $\\frac{1}{2}$"));
        assertEquals(" 7", MathAnswers.betweenDollars(" 7"));
    }

    @Test
    void hendrycksNormalisationMakesTheUsualVariantsEqual() {
        assertTrue(MathAnswers.equivalent("\\dfrac{1}{2}", "\\frac12"));
        assertTrue(MathAnswers.equivalent("0.5", "\\frac{1}{2}"));
        assertTrue(MathAnswers.equivalent("1/2", "\\frac{1}{2}"));
        assertTrue(MathAnswers.equivalent("x = 5", "5"));
        assertTrue(MathAnswers.equivalent("90^\\circ", "90"));
        assertTrue(MathAnswers.equivalent("5 \\text{ cm}", "5"));
        assertTrue(MathAnswers.equivalent("\\left( 1, 2 \\right)", "(1,2)"));
        assertTrue(MathAnswers.equivalent("2\\sqrt3", "2\\sqrt{3}"));
        assertTrue(MathAnswers.equivalent("50\\%", "50"));
        assertTrue(MathAnswers.equivalent(".5", "\\frac{1}{2}"));
    }

    @Test
    void numbersAndFractionsCompareByValue() {
        assertTrue(MathAnswers.equivalent("0.25", "\\frac{1}{4}"));
        assertTrue(MathAnswers.equivalent("-\\frac{3}{6}", "-0.5"));
        assertTrue(MathAnswers.equivalent("1,000", "1000"));
        assertTrue(MathAnswers.equivalent("2.0", "2"));
        assertFalse(MathAnswers.equivalent("0.33", "\\frac{1}{3}"));
        assertFalse(MathAnswers.equivalent("3", "\\frac{1}{3}"));
        assertFalse(MathAnswers.equivalent("", "0"));
        assertFalse(MathAnswers.equivalent("x+1", "x-1"));
    }
}

package dev.osprey.eval.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.eval.impl.MultipleChoiceQuestions.Question;
import dev.osprey.eval.impl.TruthfulQaEvaluator.Item;

/**
 * The public layouts of TruthfulQA (mc_task.json, the Hugging Face rows, TruthfulQA.csv), CMMLU and EvalScope's
 * general_mcq read from the sample files, their prompts, and TruthfulQA's mc2 mass worked out by hand.
 */
class BenchmarkFilesTest {

    private static final Path RESOURCES = Path.of("src/test/resources");

    @Test
    void truthfulQaReadsTheSameQuestionsFromEachLayout() throws IOException {
        List<Item> json = TruthfulQaEvaluator.read(RESOURCES.resolve("truthful_qa/mc_task.json"));
        List<Item> rows = TruthfulQaEvaluator.read(RESOURCES.resolve("truthful_qa/validation.jsonl"));
        List<Item> csv = TruthfulQaEvaluator.read(RESOURCES.resolve("truthful_qa/TruthfulQA.csv"));
        assertEquals(json, rows);
        assertEquals(json, csv, "the CSV's answers closed with periods make the same targets");
        assertEquals(List.of(true, true, false), json.get(0).mc2().labels());
        assertEquals(3, json.get(1).mc1().choices().size());
        assertTrue(TruthfulQaEvaluator.prompt("Q?").endsWith("Barcelona, Spain.\n\nQ: Q?\nA:"));
        // a folder is searched for mc_task.json first
        assertEquals(json, TruthfulQaEvaluator.read(RESOURCES.resolve("truthful_qa")));
    }

    @Test
    void mc2IsTheNormalisedMassOfTheTrueAnswers() {
        // p = 0.5, 0.25 (true), 0.25 (false): mass 0.75; shifting every log-likelihood changes nothing
        double[] lls = {Math.log(0.5), Math.log(0.25), Math.log(0.25)};
        assertEquals(0.75, TruthfulQaEvaluator.trueMass(lls, List.of(true, true, false)), 1e-12);
        double[] far = {Math.log(0.5) - 2000, Math.log(0.25) - 2000, Math.log(0.25) - 2000};
        assertEquals(0.75, TruthfulQaEvaluator.trueMass(far, List.of(true, true, false)), 1e-12);
        assertEquals(0.25, TruthfulQaEvaluator.trueMass(lls, List.of(false, false, true)), 1e-12);
    }

    @Test
    void truthfulQaWithoutATrueAnswerIsNamed(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("mc_task.json");
        Files.writeString(file, "[{\"question\": \"q\", \"mc1_targets\": {\"a\": 0, \"b\": 0}, \"mc2_targets\": {}}]");
        IOException bad = assertThrows(IOException.class, () -> TruthfulQaEvaluator.read(file));
        assertTrue(bad.getMessage().contains("question 1: mc1_targets"), bad.getMessage());
    }

    @Test
    void cmmluReadsItsHeaderAndAsksInItsFormat() throws IOException {
        Map<String, List<Question>> tests =
                new CmmluEvaluator(null, null).questions(RESOURCES.resolve("cmmlu"), List.of());
        List<Question> geography = tests.get("tiny_geography");
        assertEquals(2, geography.size());
        assertEquals("中国的首都是哪里？", geography.get(0).question());
        assertEquals(List.of("上海", "北京", "广州", "深圳"), geography.get(0).choices());
        assertEquals("C", geography.get(1).answer());
        Question shot = new CmmluEvaluator(null, null)
                .examples(RESOURCES.resolve("cmmlu"), List.of())
                .get("tiny_geography")
                .get(0);
        String prompt = new CmmluEvaluator(null, null).prompt(geography.get(0), List.of(shot));
        assertEquals(
                "以下是关于tiny geography的单项选择题，请直接给出正确答案的选项。\n\n"
                        + "题目：长江流入哪个海？\nA. 东海\nB. 南海\nC. 黄海\nD. 渤海\n答案是：A\n\n"
                        + "题目：中国的首都是哪里？\nA. 上海\nB. 北京\nC. 广州\nD. 深圳\n答案是：",
                prompt);
    }

    @Test
    void generalMcqReadsCsvAndJsonLines() throws IOException {
        List<Question> csv = MultipleChoiceQuestions.csv(RESOURCES.resolve("general_mcq/example_val.csv"), "x", true);
        assertEquals(List.of("A", "B"), csv.get(0).labels(), "empty letter columns are no choices");
        assertEquals("How many legs, in all, does a spider have?", csv.get(1).question());
        List<Question> jsonl = MultipleChoiceQuestions.jsonl(RESOURCES.resolve("general_mcq/example_val.jsonl"), "x");
        assertEquals(List.of("A", "B", "C"), jsonl.get(0).labels());
        assertEquals(List.of("A", "B", "C", "D", "E"), jsonl.get(1).labels());
        assertEquals("B", jsonl.get(1).answer(), "an answer index is its letter");
        assertEquals(
                "Which planet is largest?\nA. Mars\nB. Jupiter\nC. Venus\nAnswer:",
                new GeneralMcqEvaluator(null, null).prompt(jsonl.get(0), List.of()));
    }

    @Test
    void aRowWhoseAnswerIsNoChoiceIsNamed(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad_val.csv");
        Files.writeString(file, "id,question,A,B,C,D,answer\n1,q,a,b,,,C\n");
        IllegalArgumentException bad =
                assertThrows(IllegalArgumentException.class, () -> MultipleChoiceQuestions.csv(file, "bad", true));
        assertTrue(bad.getMessage().contains(file + ":2"), bad.getMessage());
        assertFalse(bad.getMessage().isEmpty());
    }
}

package dev.osprey.eval.impl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.model.ModelService;
import dev.osprey.eval.impl.MultipleChoiceQuestions.Question;

/**
 * {@code cmmlu}: CMMLU in its published layout ({@code test/SUBJECT.csv}, {@code dev/SUBJECT.csv} for the examples;
 * a header row {@code ,Question,A,B,C,D,Answer}), asked as CMMLU's own evaluation ({@code src/mp_utils.py}) asks: a
 * line naming the subject, five answered examples, each {@code 题目：} the question, its lettered choices and {@code
 * 答案是：}, the letter following without a space. CMMLU names the subject in Chinese from its own table; here the
 * subject's file name stands in for it.
 */
@Component(service = Evaluator.class)
public class CmmluEvaluator extends MultipleChoiceEvaluator {

    @Activate
    public CmmluEvaluator(@Reference ModelService models, @Reference EngineRuntime engine) {
        super(models, engine);
    }

    @Override
    public String name() {
        return "cmmlu";
    }

    @Override
    public String description() {
        return "CMMLU accuracy from a local copy (dataset_args: local_path, subset_list, few_shot_num)";
    }

    @Override
    Map<String, List<Question>> questions(Path root, List<String> subjects) throws IOException {
        return MultipleChoiceQuestions.readCsv(root.resolve("test"), ".csv", subjects, true);
    }

    @Override
    Map<String, List<Question>> examples(Path root, List<String> subjects) throws IOException {
        return MultipleChoiceQuestions.readCsv(root.resolve("dev"), ".csv", subjects, true);
    }

    @Override
    String prompt(Question question, List<Question> shots) {
        String header = "以下是关于" + question.subject().replace('_', ' ') + "的单项选择题，请直接给出正确答案的选项。\n\n";
        return fewShotPrompt(header, "题目：", "答案是：", question, shots);
    }

    @Override
    String beforeLabel() {
        return "";
    }

    @Override
    int defaultShots() {
        return 5;
    }
}

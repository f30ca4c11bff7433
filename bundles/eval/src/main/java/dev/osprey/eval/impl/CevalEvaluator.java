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
 * {@code ceval}: C-Eval in its published layout ({@code val/SUBJECT_val.csv}, whose answers are public, and {@code
 * dev/SUBJECT_dev.csv} for the examples; a header row {@code id,question,A,B,C,D,answer,explanation}), asked as
 * C-Eval's own answer-only evaluation asks: a line naming the exam's subject, five answered examples, the question,
 * {@code 答案：}, the letter following without a space.
 */
@Component(service = Evaluator.class)
public class CevalEvaluator extends MultipleChoiceEvaluator {

    @Activate
    public CevalEvaluator(@Reference ModelService models, @Reference EngineRuntime engine) {
        super(models, engine);
    }

    @Override
    public String name() {
        return "ceval";
    }

    @Override
    public String description() {
        return "C-Eval accuracy from a local copy (dataset_args: local_path, subset_list, few_shot_num)";
    }

    @Override
    Map<String, List<Question>> questions(Path root, List<String> subjects) throws IOException {
        return MultipleChoiceQuestions.readCsv(root.resolve("val"), "_val.csv", subjects, true);
    }

    @Override
    Map<String, List<Question>> examples(Path root, List<String> subjects) throws IOException {
        return MultipleChoiceQuestions.readCsv(root.resolve("dev"), "_dev.csv", subjects, true);
    }

    @Override
    String prompt(Question question, List<Question> shots) {
        String header = "以下是中国关于" + question.subject().replace('_', ' ') + "考试的单项选择题，请选出其中的正确答案。\n\n";
        return fewShotPrompt(header, "", "答案：", question, shots);
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

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
 * {@code mmlu}: MMLU in its published layout ({@code data/test/SUBJECT_test.csv}, {@code data/dev/SUBJECT_dev.csv}
 * for the examples; rows {@code question,A,B,C,D,answer} without a header), asked as MMLU's original evaluation (and
 * lm-eval-harness's) asks: a line naming the subject, five answered examples, the question, {@code Answer:}.
 */
@Component(service = Evaluator.class)
public class MmluEvaluator extends MultipleChoiceEvaluator {

    @Activate
    public MmluEvaluator(@Reference ModelService models, @Reference EngineRuntime engine) {
        super(models, engine);
    }

    @Override
    public String name() {
        return "mmlu";
    }

    @Override
    public String description() {
        return "MMLU accuracy from a local copy (dataset_args: local_path, subset_list, few_shot_num)";
    }

    @Override
    Map<String, List<Question>> questions(Path root, List<String> subjects) throws IOException {
        return MultipleChoiceQuestions.readCsv(root.resolve("data/test"), "_test.csv", subjects, false);
    }

    @Override
    Map<String, List<Question>> examples(Path root, List<String> subjects) throws IOException {
        return MultipleChoiceQuestions.readCsv(root.resolve("data/dev"), "_dev.csv", subjects, false);
    }

    @Override
    String prompt(Question question, List<Question> shots) {
        String header = "The following are multiple choice questions (with answers) about "
                + question.subject().replace('_', ' ') + ".\n\n";
        return fewShotPrompt(header, "", "Answer:", question, shots);
    }

    @Override
    String beforeLabel() {
        return " ";
    }

    @Override
    int defaultShots() {
        return 5;
    }
}

package dev.osprey.eval.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.model.ModelService;
import dev.osprey.eval.impl.MultipleChoiceQuestions.Question;

/**
 * {@code general_mcq}: your own multiple-choice questions in EvalScope's custom layout, one folder with {@code
 * SUBSET_val.csv} (or {@code .jsonl}) to ask and optionally {@code SUBSET_dev.csv} (or {@code .jsonl}) for examples;
 * CSV rows under the header {@code id,question,A,B,C,D,answer}, JSON lines {@code {"question", "A", ..., "answer"}}
 * or {@code {"question", "choices": [...], "answer"}}, two to ten choices. Asked as MMLU is, without the subject
 * line: the question, its lettered choices, {@code Answer:}, each letter scored as a continuation; no examples by
 * default.
 */
@Component(service = Evaluator.class)
public class GeneralMcqEvaluator extends MultipleChoiceEvaluator {

    @Activate
    public GeneralMcqEvaluator(@Reference ModelService models, @Reference EngineRuntime engine) {
        super(models, engine);
    }

    @Override
    public String name() {
        return "general_mcq";
    }

    @Override
    public String description() {
        return "your own multiple-choice questions, EvalScope's SUBSET_val.csv/.jsonl layout (dataset_args:"
                + " local_path, subset_list, few_shot_num)";
    }

    @Override
    Map<String, List<Question>> questions(Path root, List<String> subsets) throws IOException {
        return split(root, subsets, "_val");
    }

    @Override
    Map<String, List<Question>> examples(Path root, List<String> subsets) throws IOException {
        return split(root, subsets, "_dev");
    }

    /** The subsets' {@code SUBSET + split + .csv} files, or their {@code .jsonl} ones when the folder has no CSV. */
    private static Map<String, List<Question>> split(Path root, List<String> subsets, String split) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("general_mcq: local_path " + root + " is not a folder");
        }
        boolean csv;
        try (Stream<Path> files = Files.list(root)) {
            csv = files.anyMatch(f -> f.getFileName().toString().endsWith(split + ".csv"));
        }
        return csv
                ? MultipleChoiceQuestions.readCsv(root, split + ".csv", subsets, true)
                : MultipleChoiceQuestions.read(root, split + ".jsonl", subsets, MultipleChoiceQuestions::jsonl);
    }

    @Override
    String prompt(Question question, List<Question> shots) {
        return fewShotPrompt("", "", "Answer:", question, shots);
    }

    @Override
    String beforeLabel() {
        return " ";
    }

    @Override
    int defaultShots() {
        return 0;
    }
}

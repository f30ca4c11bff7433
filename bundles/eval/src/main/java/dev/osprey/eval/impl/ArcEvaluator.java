package dev.osprey.eval.impl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.model.ModelService;
import dev.osprey.eval.impl.MultipleChoiceQuestions.Question;

/**
 * {@code arc}: AI2's ARC in its published layout, a folder per subset ({@code ARC-Easy/ARC-Easy-Test.jsonl},
 * {@code ARC-Challenge/ARC-Challenge-Test.jsonl}, the {@code -Train} files for examples), each question's three to
 * five choices labelled as the file labels them, asked as {@code Question: ...}, the labelled choices, {@code
 * Answer:}; no examples by default, as EvalScope.
 */
@Component(service = Evaluator.class)
public class ArcEvaluator extends MultipleChoiceEvaluator {

    @Activate
    public ArcEvaluator(@Reference ModelService models, @Reference EngineRuntime engine) {
        super(models, engine);
    }

    @Override
    public String name() {
        return "arc";
    }

    @Override
    public String description() {
        return "ARC (Easy, Challenge) accuracy from a local copy (dataset_args: local_path, subset_list)";
    }

    @Override
    Map<String, List<Question>> questions(Path root, List<String> subsets) throws IOException {
        return split(root, subsets, "Test");
    }

    @Override
    Map<String, List<Question>> examples(Path root, List<String> subsets) throws IOException {
        return split(root, subsets, "Train");
    }

    /** Every subset folder's {@code SUBSET-SPLIT.jsonl}: ARC-Easy and ARC-Challenge unless asked otherwise. */
    private static Map<String, List<Question>> split(Path root, List<String> subsets, String split) throws IOException {
        Map<String, List<Question>> bySubset = new TreeMap<>();
        for (String subset : subsets.isEmpty() ? List.of("ARC-Challenge", "ARC-Easy") : subsets) {
            bySubset.putAll(MultipleChoiceQuestions.read(
                    root.resolve(subset), "-" + split + ".jsonl", List.of(subset), MultipleChoiceQuestions::arc));
        }
        return bySubset;
    }

    @Override
    String prompt(Question question, List<Question> shots) {
        return fewShotPrompt("", "Question: ", "Answer:", question, shots);
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

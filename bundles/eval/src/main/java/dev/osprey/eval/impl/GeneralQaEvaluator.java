package dev.osprey.eval.impl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.model.ModelService;

/**
 * {@code general_qa}: your own questions and reference answers in EvalScope's custom layout, one folder of {@code
 * SUBSET.jsonl} files of {@code {"query", "response"}} rows ({@code question}/{@code answer} accepted too). Each query
 * is asked as it is; the completion is scored against the response by {@code exact_match} (equal once both are
 * stripped) and {@link TextOverlap}'s ROUGE and BLEU, each the mean over the samples.
 */
@Component(service = Evaluator.class)
public class GeneralQaEvaluator extends GenerationEvaluator {
    private static final String EXACT_MATCH = "exact_match";
    private static final List<String> METRICS = List.of(
            EXACT_MATCH,
            "rouge-1-r",
            "rouge-1-p",
            "rouge-1-f",
            "rouge-2-r",
            "rouge-2-p",
            "rouge-2-f",
            "rouge-l-r",
            "rouge-l-p",
            "rouge-l-f",
            "bleu-1",
            "bleu-2",
            "bleu-3",
            "bleu-4");

    @Activate
    public GeneralQaEvaluator(@Reference ModelService models, @Reference EngineRuntime engine) {
        super(models, engine);
    }

    @Override
    public String name() {
        return "general_qa";
    }

    @Override
    public String description() {
        return "your own questions and answers, EvalScope's SUBSET.jsonl of query/response: exact match, ROUGE, BLEU"
                + " (dataset_args: local_path, subset_list)";
    }

    @Override
    Map<String, List<Problem>> problems(Path root, List<String> subsets) throws IOException {
        return MultipleChoiceQuestions.read(root, ".jsonl", subsets, GeneralQaEvaluator::read);
    }

    @Override
    Map<String, List<Problem>> examples(Path root, List<String> subsets) {
        return Map.of();
    }

    @Override
    String prompt(Problem problem, List<Problem> shots) {
        return problem.question();
    }

    @Override
    List<String> stopStrings() {
        return List.of();
    }

    @Override
    int defaultShots() {
        return 0;
    }

    @Override
    List<String> metricNames() {
        return METRICS;
    }

    @Override
    Map<String, Object> judge(Problem problem, String completion) {
        Map<String, Object> scores = new LinkedHashMap<>();
        scores.put(EXACT_MATCH, completion.strip().equals(problem.answer().strip()) ? 1.0 : 0.0);
        scores.putAll(TextOverlap.scores(completion, problem.answer()));
        return Map.of("scores", scores);
    }

    @Override
    void count(Tally tally, JsonNode answer) {
        for (String metric : METRICS) {
            tally.add(
                    answer.path("subset").asText(),
                    metric,
                    answer.path("scores").path(metric).asDouble());
        }
    }

    private static List<Problem> read(Path file, String subset) throws IOException {
        return JsonLines.read(file, (row, index, line) -> {
            JsonNode query = row.has("query") ? row.path("query") : row.path("question");
            JsonNode response = row.has("response") ? row.path("response") : row.path("answer");
            if (!query.isTextual() || !response.isValueNode()) {
                throw new IOException(file + " line " + line + ": a row needs 'query' and 'response'");
            }
            return new Problem(subset, index, query.asText(), "", response.asText());
        });
    }
}

package dev.osprey.eval.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * {@code ifeval}: instruction following by verifiable rules, from a local copy in IFEval's published layout (JSON
 * lines {@code {"key", "prompt", "instruction_id_list", "kwargs"}}: google-research's {@code input_data.jsonl} or the
 * Hugging Face copy's {@code ifeval_input_data.jsonl}, in the folder or given as the file). Each prompt is asked as
 * it is, without examples; the response is checked against each of its instructions ({@link IfEvalInstructions})
 * strictly, and loosely as the paper defines it: followed by any of the response, the response without its first
 * line, without its last, without both, and those four with asterisks removed. Reports {@code
 * prompt_level_strict_acc} (prompts whose instructions were all followed), {@code inst_level_strict_acc}
 * (instructions followed, over all instructions) and the loose pair.
 */
@Component(service = Evaluator.class)
public class IfEvalEvaluator extends GenerationEvaluator {

    static final String SUBSET = "ifeval";
    private static final List<String> FILES = List.of("input_data.jsonl", "ifeval_input_data.jsonl");

    @Activate
    public IfEvalEvaluator(@Reference ModelService models, @Reference EngineRuntime engine) {
        super(models, engine);
    }

    @Override
    public String name() {
        return "ifeval";
    }

    @Override
    public String description() {
        return "IFEval prompt- and instruction-level strict and loose accuracy from a local copy (dataset_args:"
                + " local_path)";
    }

    @Override
    Map<String, List<Problem>> problems(Path root, List<String> subsets) throws IOException {
        return Map.of(SUBSET, read(file(root)));
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
        return List.of(
                "prompt_level_strict_acc", "inst_level_strict_acc", "prompt_level_loose_acc", "inst_level_loose_acc");
    }

    @Override
    Map<String, Object> judge(Problem problem, String completion) {
        List<String> ids = new ArrayList<>();
        List<Boolean> strict = new ArrayList<>();
        List<Boolean> loose = new ArrayList<>();
        List<String> variants = looseVariants(completion);
        JsonNode row = problem.data();
        for (int i = 0; i < row.path("instruction_id_list").size(); i++) {
            String id = row.path("instruction_id_list").get(i).asText();
            JsonNode kwargs = row.path("kwargs").get(i);
            ids.add(id);
            strict.add(!completion.isBlank() && IfEvalInstructions.follows(id, kwargs, completion));
            loose.add(variants.stream().anyMatch(r -> !r.isBlank() && IfEvalInstructions.follows(id, kwargs, r)));
        }
        Map<String, Object> verdict = new LinkedHashMap<>();
        verdict.put("key", row.path("key").asText());
        verdict.put("instruction_id_list", ids);
        verdict.put("follow_instruction_list_strict", strict);
        verdict.put("follow_instruction_list_loose", loose);
        return verdict;
    }

    @Override
    void count(Tally tally, JsonNode answer) {
        String subset = answer.path("subset").asText();
        for (String level : List.of("strict", "loose")) {
            boolean all = true;
            for (JsonNode followed : answer.path("follow_instruction_list_" + level)) {
                tally.add(subset, "inst_level_" + level + "_acc", followed.asBoolean());
                all &= followed.asBoolean();
            }
            tally.add(subset, "prompt_level_" + level + "_acc", all);
        }
    }

    /** The paper's loose readings of a response: first and/or last line dropped, asterisks removed. */
    static List<String> looseVariants(String response) {
        String[] lines = response.split("\n", -1);
        String withoutFirst = String.join("\n", List.of(lines).subList(Math.min(1, lines.length), lines.length))
                .strip();
        String withoutLast = String.join("\n", List.of(lines).subList(0, Math.max(0, lines.length - 1)))
                .strip();
        String withoutBoth = lines.length < 2
                ? ""
                : String.join("\n", List.of(lines).subList(1, lines.length - 1)).strip();
        List<String> variants = new ArrayList<>(List.of(response, withoutFirst, withoutLast, withoutBoth));
        for (int i = 0; i < 4; i++) {
            variants.add(variants.get(i).replace("*", ""));
        }
        return variants;
    }

    /** The local path itself when it is a file, else the published file name found in it. */
    private static Path file(Path root) throws IOException {
        if (Files.isRegularFile(root)) {
            return root;
        }
        for (String name : FILES) {
            if (Files.isRegularFile(root.resolve(name))) {
                return root.resolve(name);
            }
        }
        throw new IOException("ifeval: no " + String.join(" or ", FILES) + " in " + root);
    }

    /** The rows, each instruction known and its arguments present (checked on an empty response). */
    static List<Problem> read(Path file) throws IOException {
        return JsonLines.read(file, (row, index, line) -> {
            String where = file + " line " + line;
            JsonNode ids = row.path("instruction_id_list");
            JsonNode kwargs = row.path("kwargs");
            if (!row.path("prompt").isTextual() || !ids.isArray() || !kwargs.isArray() || ids.size() != kwargs.size()) {
                throw new IOException(where + ": a row needs 'prompt', 'instruction_id_list' and one 'kwargs' object"
                        + " per instruction");
            }
            for (int i = 0; i < ids.size(); i++) {
                try {
                    IfEvalInstructions.follows(ids.get(i).asText(), kwargs.get(i), "");
                } catch (IllegalArgumentException e) {
                    throw new IOException(where + ": " + e.getMessage(), e);
                }
            }
            return new Problem(SUBSET, index, row.path("prompt").asText(), "", "", row);
        });
    }
}

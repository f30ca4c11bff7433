package dev.osprey.eval.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.model.ModelService;

/**
 * {@code math}: Hendrycks' MATH competition problems from a local copy in its published layout ({@code
 * test/SUBJECT/N.json} and {@code train/SUBJECT/N.json}, each {@code {"problem", "level", "type", "solution"}}, the
 * reference answer the solution's last {@code \boxed{}}), asked as lm-eval-harness's {@code hendrycks_math} asks
 * ({@code Problem: ...\nAnswer:} after worked examples of the subject, generation until {@code Problem:}). Two answer
 * filters: {@code boxed}, the completion's last {@code \boxed{}} (as EvalScope and Minerva read answers), and {@code
 * dollars}, the text between its first and last {@code $} (lm-eval-harness's); answers are equal as {@link
 * MathAnswers#equivalent} decides. {@code subset_list} names subjects ({@code algebra}, {@code geometry}, ...).
 */
@Component(service = Evaluator.class)
public class MathEvaluator extends GenerationEvaluator {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Activate
    public MathEvaluator(@Reference ModelService models, @Reference EngineRuntime engine) {
        super(models, engine);
    }

    @Override
    public String name() {
        return "math";
    }

    @Override
    public String description() {
        return "MATH competition problems by generation, boxed answers compared after normalisation (dataset_args:"
                + " local_path, subset_list, few_shot_num)";
    }

    @Override
    Map<String, List<Problem>> problems(Path root, List<String> subjects) throws IOException {
        return split(root.resolve("test"), subjects);
    }

    @Override
    Map<String, List<Problem>> examples(Path root, List<String> subjects) throws IOException {
        return Files.isDirectory(root.resolve("train")) ? split(root.resolve("train"), subjects) : Map.of();
    }

    @Override
    String prompt(Problem problem, List<Problem> shots) {
        StringBuilder text = new StringBuilder();
        for (Problem shot : shots) {
            text.append("Problem: ")
                    .append(shot.question())
                    .append("\nAnswer: ")
                    .append(shot.answer())
                    .append("\n\n");
        }
        return text.append("Problem: ")
                .append(problem.question())
                .append("\nAnswer:")
                .toString();
    }

    @Override
    List<String> stopStrings() {
        return List.of("Problem:");
    }

    @Override
    int defaultShots() {
        return 4;
    }

    @Override
    Map<String, Function<String, String>> filters() {
        Map<String, Function<String, String>> filters = new LinkedHashMap<>();
        filters.put("boxed", MathAnswers::lastBoxed);
        filters.put("dollars", c -> MathAnswers.betweenDollars(c).strip());
        return filters;
    }

    @Override
    boolean isCorrect(String extracted, Problem problem) {
        return MathAnswers.equivalent(extracted, problem.answer());
    }

    /** Each subject folder's problems, in file-name order (numbered names by number). */
    private static Map<String, List<Problem>> split(Path folder, List<String> subjects) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("math: local_path has no " + folder + " folder");
        }
        Map<String, List<Problem>> bySubject = new TreeMap<>();
        try (Stream<Path> dirs = Files.list(folder)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                String subject = dir.getFileName().toString();
                if (subjects.isEmpty() || subjects.contains(subject)) {
                    bySubject.put(subject, read(dir, subject));
                }
            }
        }
        for (String subject : subjects) {
            if (!bySubject.containsKey(subject)) {
                throw new IllegalArgumentException(
                        "subset_list names '" + subject + "', but " + folder + " has no " + subject + " folder");
            }
        }
        return bySubject;
    }

    private static List<Problem> read(Path dir, String subject) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(f -> f.getFileName().toString().endsWith(".json"))
                    .sorted((a, b) -> compareNames(
                            a.getFileName().toString(), b.getFileName().toString()))
                    .toList();
        }
        List<Problem> problems = new ArrayList<>();
        for (Path file : files) {
            JsonNode row;
            try {
                row = JSON.readTree(file.toFile());
            } catch (JsonProcessingException e) {
                throw new IOException(file + ": not JSON: " + e.getOriginalMessage(), e);
            }
            String solution = row.path("solution").asText("");
            String answer = MathAnswers.lastBoxed(solution);
            if (!row.path("problem").isTextual() || answer.isEmpty()) {
                throw new IOException(file + ": expected \"problem\" and a \"solution\" with a \\boxed{} answer");
            }
            problems.add(
                    new Problem(subject, problems.size(), row.path("problem").asText(), solution, answer));
        }
        return problems;
    }

    /** {@code 2.json} before {@code 10.json}; other names as text. */
    private static int compareNames(String a, String b) {
        String x = a.replace(".json", "");
        String y = b.replace(".json", "");
        if (x.matches("\\d+") && y.matches("\\d+")) {
            return Long.compare(Long.parseLong(x), Long.parseLong(y));
        }
        return a.compareTo(b);
    }
}

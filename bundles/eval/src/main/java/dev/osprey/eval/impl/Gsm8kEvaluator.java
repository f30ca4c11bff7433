package dev.osprey.eval.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.model.ModelService;

/**
 * {@code gsm8k}: grade-school math word problems from a local copy in OpenAI's published layout ({@code test.jsonl}
 * and {@code train.jsonl} of {@code {"question", "answer"}} rows, the answer a worked solution ending {@code
 * #### N}; the folder or its {@code grade_school_math/data}), asked as lm-eval-harness asks them: {@code Question:
 * ...\nAnswer:} after five worked examples of the train split (the first five), generation until {@code Question:}.
 * Its two answer filters: {@code strict-match}, the number after {@code ####}, and {@code flexible-extract}, the
 * last number of the solution; compared with the reference as exact match once commas, dollar signs, a final
 * period and case are ignored.
 */
@Component(service = Evaluator.class)
public class Gsm8kEvaluator extends GenerationEvaluator {

    static final String SUBSET = "main";
    private static final Pattern STRICT = Pattern.compile("#### (-?[0-9.,]+)");
    private static final Pattern FLEXIBLE = Pattern.compile("(-?[$0-9.,]{2,})|(-?[0-9]+)");
    private static final List<Pattern> IGNORED = List.of(
            Pattern.compile(","), Pattern.compile("\\$"), Pattern.compile("(?s).*#### "), Pattern.compile("\\.$"));

    @Activate
    public Gsm8kEvaluator(@Reference ModelService models, @Reference EngineRuntime engine) {
        super(models, engine);
    }

    @Override
    public String name() {
        return "gsm8k";
    }

    @Override
    public String description() {
        return "GSM8K math word problems by generation, exact match of the final number (dataset_args: local_path)";
    }

    @Override
    Map<String, List<Problem>> problems(Path root, List<String> subsets) throws IOException {
        return Map.of(SUBSET, read(split(root, "test")));
    }

    @Override
    Map<String, List<Problem>> examples(Path root, List<String> subsets) throws IOException {
        return Map.of(SUBSET, read(split(root, "train")));
    }

    @Override
    String prompt(Problem problem, List<Problem> shots) {
        StringBuilder text = new StringBuilder();
        for (Problem shot : shots) {
            text.append("Question: ")
                    .append(shot.question())
                    .append("\nAnswer: ")
                    .append(shot.solution())
                    .append("\n\n");
        }
        return text.append("Question: ")
                .append(problem.question())
                .append("\nAnswer:")
                .toString();
    }

    @Override
    List<String> stopStrings() {
        return List.of("Question:", "</s>", "<|im_end|>");
    }

    @Override
    int defaultShots() {
        return 5;
    }

    @Override
    Map<String, Function<String, String>> filters() {
        Map<String, Function<String, String>> filters = new LinkedHashMap<>();
        filters.put("strict-match", Gsm8kEvaluator::strictMatch);
        filters.put("flexible-extract", Gsm8kEvaluator::flexibleExtract);
        return filters;
    }

    @Override
    boolean isCorrect(String extracted, Problem problem) {
        return normalised(extracted).equals(normalised(problem.answer()));
    }

    /** The number after the first {@code ####}, or "" when the solution has none. */
    static String strictMatch(String completion) {
        Matcher m = STRICT.matcher(completion);
        return m.find() ? m.group(1).strip() : "";
    }

    /** The solution's last number (two or more digits and marks, or one digit), or "". */
    static String flexibleExtract(String completion) {
        Matcher m = FLEXIBLE.matcher(completion);
        String last = "";
        while (m.find()) {
            last = m.group(1) != null ? m.group(1) : m.group(2);
        }
        return last.strip();
    }

    /** lm-eval-harness's exact-match view: commas, dollar signs, the solution before #### and a final period dropped. */
    static String normalised(String answer) {
        String text = answer;
        for (Pattern ignored : IGNORED) {
            text = ignored.matcher(text).replaceAll("");
        }
        return text.toLowerCase(Locale.ROOT).strip();
    }

    /** {@code SPLIT.jsonl} of the folder, or of its {@code grade_school_math/data} as the repository lays it out. */
    private static Path split(Path root, String split) throws IOException {
        for (Path candidate :
                List.of(root.resolve(split + ".jsonl"), root.resolve("grade_school_math/data/" + split + ".jsonl"))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IOException("gsm8k: no " + split + ".jsonl in " + root + " (nor in its grade_school_math/data)");
    }

    private static List<Problem> read(Path file) throws IOException {
        return JsonLines.read(file, (row, index, line) -> {
            String question = row.path("question").asText("");
            String solution = row.path("answer").asText("");
            int hashes = solution.lastIndexOf("####");
            if (question.isEmpty() || hashes < 0) {
                throw new IOException(
                        file + " line " + line + ": a row needs 'question' and an 'answer' ending '#### N'");
            }
            return new Problem(
                    SUBSET,
                    index,
                    question,
                    solution,
                    solution.substring(hashes + 4).strip());
        });
    }
}

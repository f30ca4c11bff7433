package dev.osprey.eval.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.model.ModelService;
import dev.osprey.eval.impl.MultipleChoiceQuestions.Question;

/**
 * {@code hellaswag}: commonsense sentence completion from a local copy in its published layout ({@code
 * hellaswag_val.jsonl} and {@code hellaswag_train.jsonl} of the folder or its {@code data/}), asked as
 * lm-eval-harness asks: the activity label and context cleaned of WikiHow's bracket marks, each of the four endings
 * scored as a continuation after a space; reports {@code acc} and {@code acc_norm} (the choice by log-likelihood
 * per character), no examples by default.
 */
@Component(service = Evaluator.class)
public class HellaSwagEvaluator extends MultipleChoiceEvaluator {

    static final String SUBSET = "hellaswag";
    private static final Pattern BRACKETS = Pattern.compile("\\[.*?\\]");

    @Activate
    public HellaSwagEvaluator(@Reference ModelService models, @Reference EngineRuntime engine) {
        super(models, engine);
    }

    @Override
    public String name() {
        return "hellaswag";
    }

    @Override
    public String description() {
        return "HellaSwag acc and acc_norm from a local copy (dataset_args: local_path, few_shot_num)";
    }

    @Override
    Map<String, List<Question>> questions(Path root, List<String> subsets) throws IOException {
        return Map.of(SUBSET, read(split(root, "val")));
    }

    @Override
    Map<String, List<Question>> examples(Path root, List<String> subsets) throws IOException {
        return Map.of(SUBSET, read(split(root, "train")));
    }

    @Override
    String prompt(Question question, List<Question> shots) {
        StringBuilder text = new StringBuilder();
        for (Question shot : shots) {
            text.append(shot.question())
                    .append(beforeLabel())
                    .append(shot.choices().get(Integer.parseInt(shot.answer())))
                    .append("\n\n");
        }
        return text.append(question.question()).toString();
    }

    @Override
    String beforeLabel() {
        return " ";
    }

    @Override
    List<String> continuations(Question question) {
        return question.choices().stream().map(c -> beforeLabel() + c).toList();
    }

    @Override
    boolean reportsNormalisedAccuracy() {
        return true;
    }

    @Override
    int defaultShots() {
        return 0;
    }

    /** lm-eval-harness's cleaning: WikiHow's {@code [title]} becomes a sentence end, other bracket marks go. */
    static String clean(String text) {
        return BRACKETS.matcher(text.strip().replace(" [title]", ". "))
                .replaceAll("")
                .replace("  ", " ");
    }

    /** Python's {@code str.capitalize}: the first character upper case, the rest lower case. */
    static String capitalised(String text) {
        return text.isEmpty()
                ? text
                : text.substring(0, 1).toUpperCase(Locale.ROOT)
                        + text.substring(1).toLowerCase(Locale.ROOT);
    }

    private static Path split(Path root, String split) throws IOException {
        String name = "hellaswag_" + split + ".jsonl";
        for (Path candidate : List.of(root.resolve(name), root.resolve("data").resolve(name))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IOException("hellaswag: no " + name + " in " + root + " (nor in its data/)");
    }

    private static List<Question> read(Path file) throws IOException {
        return JsonLines.read(file, (row, index, line) -> {
            List<String> endings = new ArrayList<>();
            row.path("endings").forEach(e -> endings.add(clean(e.asText())));
            int label = row.path("label").asInt(-1);
            if (!row.path("ctx_a").isTextual() || endings.size() < 2 || label < 0 || label >= endings.size()) {
                throw new IOException(file + " line " + line + ": expected activity_label, ctx_a, ctx_b,"
                        + " endings and a label indexing them");
            }
            String context = row.path("ctx_a").asText() + " "
                    + capitalised(row.path("ctx_b").asText());
            List<String> labels = new ArrayList<>();
            for (int i = 0; i < endings.size(); i++) {
                labels.add(String.valueOf(i));
            }
            return new Question(
                    SUBSET,
                    index,
                    clean(row.path("activity_label").asText() + ": " + context),
                    labels,
                    endings,
                    String.valueOf(label));
        });
    }
}

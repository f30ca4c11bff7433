package dev.osprey.eval.impl;

import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.eval.EvaluationReport;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.ArgumentSpec.Type;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelService;
import dev.osprey.eval.impl.MultipleChoiceQuestions.Question;
import dev.osprey.model.load.ModelArguments;

/**
 * {@code mmlu}: MMLU's multiple-choice questions from a local copy in its published layout, as {@code swift eval
 * --eval_dataset mmlu --dataset_args '{"mmlu": {"local_path": DIR, "subset_list": [...], "few_shot_num": 5}}'} reads
 * them (the hub is not reached: the data must be local). Each question is asked as MMLU's original prompt with
 * {@code few_shot_num} examples of the subject's dev split, and the model's answer is the letter whose
 * continuation is most likely ({@link ContinuationScorer}). Reports the accuracy over all questions and per subject
 * ({@code acc/SUBJECT}); {@code eval_details.jsonl} holds each question's answer, prediction and letter
 * log-likelihoods. {@code --eval_limit N} takes the first N questions of each subject.
 */
@Component(service = Evaluator.class)
public class MmluEvaluator implements Evaluator {

    static final String NAME = "mmlu";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DEFAULT_SHOTS = 5;

    private final ModelService models;
    private final EngineRuntime engine;

    @Activate
    public MmluEvaluator(@Reference ModelService models, @Reference EngineRuntime engine) {
        this.models = models;
        this.engine = engine;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "MMLU accuracy from a local copy (dataset_args: local_path, subset_list, few_shot_num)";
    }

    @Override
    public List<ArgumentSpec> arguments() {
        return List.of(
                ArgumentSpec.of("model", Type.TEXT, "the model (folder or hub id)"),
                ArgumentSpec.of("adapters", Type.LIST, "PEFT LoRA adapter folder(s), merged before evaluating"),
                ArgumentSpec.of(
                        "dataset_args",
                        Type.MAPPING,
                        "{\"mmlu\": {\"local_path\": DIR, \"subset_list\": [...], \"few_shot_num\": 5}}"),
                ArgumentSpec.of("eval_limit", Type.INTEGER, "the first N questions of each subject"));
    }

    @Override
    public EvaluationReport evaluate(JobContext job) throws Exception {
        Arguments args = job.arguments();
        JsonNode options = options(args);
        Path root = Path.of(options.path("local_path").asText());
        List<String> subjects = new ArrayList<>();
        options.path("subset_list").forEach(s -> subjects.add(s.asText()));
        int shots = options.path("few_shot_num").asInt(DEFAULT_SHOTS);
        int limit = args.getInt("eval_limit", Integer.MAX_VALUE);
        Map<String, List<Question>> tests = MultipleChoiceQuestions.read(root, "test", subjects);
        Map<String, List<Question>> dev = shots > 0 ? MultipleChoiceQuestions.read(root, "dev", subjects) : Map.of();
        long total = tests.values().stream()
                .mapToLong(q -> Math.min(q.size(), limit))
                .sum();

        Path details = job.outputDir().resolve(PerplexityEvaluator.DETAILS);
        Path partial = job.outputDir().resolve(PerplexityEvaluator.DETAILS + ".partial");
        Files.createDirectories(job.outputDir());
        Map<String, Double> metrics = new LinkedHashMap<>();
        int correct = 0;
        int asked = 0;
        try (NDManager manager = engine.newManager(job.device());
                LoadedModel model = models.load(ModelArguments.request(job, true), manager);
                BufferedWriter out = Files.newBufferedWriter(partial)) {
            ContinuationScorer scorer = new ContinuationScorer(model.model(), model.prompts(), manager);
            List<String> answers =
                    MultipleChoiceQuestions.LETTERS.stream().map(l -> " " + l).toList();
            job.progress().begin("eval", total);
            for (Map.Entry<String, List<Question>> subject : tests.entrySet()) {
                List<Question> examples = dev.getOrDefault(subject.getKey(), List.of());
                List<Question> fewShot = examples.subList(0, Math.min(shots, examples.size()));
                int subjectCorrect = 0;
                int subjectAsked = 0;
                for (Question q : subject.getValue()
                        .subList(0, Math.min(limit, subject.getValue().size()))) {
                    if (job.isCancelled()) {
                        break;
                    }
                    double[] scores = scorer.score(MultipleChoiceQuestions.prompt(q, fewShot), answers);
                    String predicted = MultipleChoiceQuestions.LETTERS.get(argmax(scores));
                    boolean right = predicted.equals(q.answer());
                    subjectCorrect += right ? 1 : 0;
                    subjectAsked++;
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("subject", q.subject());
                    line.put("index", q.index());
                    line.put("answer", q.answer());
                    line.put("predicted", predicted);
                    line.put("log_likelihoods", scores);
                    out.write(JSON.writeValueAsString(line));
                    out.newLine();
                    job.progress()
                            .step(
                                    asked + subjectAsked,
                                    Map.of("acc", (correct + subjectCorrect) / (double) (asked + subjectAsked)));
                }
                if (subjectAsked > 0) {
                    metrics.put("acc/" + subject.getKey(), subjectCorrect / (double) subjectAsked);
                }
                correct += subjectCorrect;
                asked += subjectAsked;
            }
        }
        Files.move(partial, details, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (asked == 0) {
            throw new IllegalArgumentException("local_path " + root + ": no test question to ask");
        }
        metrics.put("acc", correct / (double) asked);
        metrics.put("questions", (double) asked);
        return new EvaluationReport(metrics, details);
    }

    /** This benchmark's entry of {@code --dataset_args}, which must name its {@code local_path}. */
    private static JsonNode options(Arguments args) {
        String text = args.getString("dataset_args")
                .orElseThrow(() ->
                        new IllegalArgumentException(NAME + " reads a local copy of MMLU: give --dataset_args '{\""
                                + NAME + "\": {\"local_path\": \"DIR\"}}' (DIR holding data/test/SUBJECT_test.csv)"));
        JsonNode all;
        try {
            all = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "--dataset_args is not JSON: " + e.getOriginalMessage() + " in " + text, e);
        }
        JsonNode options = all.path(NAME);
        if (!options.path("local_path").isTextual()) {
            throw new IllegalArgumentException("--dataset_args has no " + NAME + ".local_path: " + text);
        }
        return options;
    }

    private static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }
}

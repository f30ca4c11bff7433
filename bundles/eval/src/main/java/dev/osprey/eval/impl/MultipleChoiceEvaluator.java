package dev.osprey.eval.impl;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.eval.EvaluationReport;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelService;
import dev.osprey.eval.impl.MultipleChoiceQuestions.Question;
import dev.osprey.model.load.ModelArguments;

/**
 * A multiple-choice benchmark from a local copy in its published layout, as {@code swift eval --eval_dataset NAME
 * --dataset_args '{"NAME": {"local_path": DIR, "subset_list": [...], "few_shot_num": N}}'} reads it (the hub is not
 * reached: the data must be local). Each question is asked with {@code few_shot_num} answered examples of its
 * subject, and the model's answer is the label whose continuation is most likely ({@link ContinuationScorer}, as
 * lm-eval-harness scores). Reports the accuracy over all questions and per subject ({@code acc/SUBJECT});
 * {@code eval_details.jsonl} holds each question's answer, prediction and label log-likelihoods. {@code
 * --eval_limit N} takes the first N questions of each subject. A benchmark says where its questions are and how it
 * asks them.
 */
abstract class MultipleChoiceEvaluator implements Evaluator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelService models;
    private final EngineRuntime engine;

    MultipleChoiceEvaluator(ModelService models, EngineRuntime engine) {
        this.models = models;
        this.engine = engine;
    }

    /** The questions to ask, by subject, from {@code root}; only those of {@code subjects} when not empty. */
    abstract Map<String, List<Question>> questions(Path root, List<String> subjects) throws IOException;

    /** The answered examples to show first, by subject; empty when the benchmark has none. */
    abstract Map<String, List<Question>> examples(Path root, List<String> subjects) throws IOException;

    /** The prompt of {@code question} after {@code shots}, ending where the answer's label follows. */
    abstract String prompt(Question question, List<Question> shots);

    /** What comes between the prompt and the label ({@code " "} after {@code Answer:}). */
    abstract String beforeLabel();

    /**
     * The few-shot prompt most benchmarks ask: {@code header}, then each shot as {@code opener}, its question and
     * choices ({@link MultipleChoiceQuestions#appendQuestion}), {@code cue}, {@link #beforeLabel()} and its answer,
     * a blank line; last {@code question} the same way, ending after {@code cue}.
     */
    String fewShotPrompt(String header, String opener, String cue, Question question, List<Question> shots) {
        StringBuilder text = new StringBuilder(header);
        for (Question shot : shots) {
            MultipleChoiceQuestions.appendQuestion(text.append(opener), shot, cue)
                    .append(beforeLabel())
                    .append(shot.answer())
                    .append("\n\n");
        }
        return MultipleChoiceQuestions.appendQuestion(text.append(opener), question, cue)
                .toString();
    }

    /** The continuations scored, one per label: by default the label itself after {@link #beforeLabel()}. */
    List<String> continuations(Question question) {
        return question.labels().stream().map(l -> beforeLabel() + l).toList();
    }

    /**
     * Whether the benchmark also reports {@code acc_norm}, lm-eval-harness's choice by log-likelihood per character
     * of the continuation (for benchmarks whose choices are sentences of different lengths).
     */
    boolean reportsNormalisedAccuracy() {
        return false;
    }

    /** The benchmark's usual number of examples shown. */
    abstract int defaultShots();

    @Override
    public List<ArgumentSpec> arguments() {
        return BenchmarkOptions.arguments(name());
    }

    @Override
    public EvaluationReport evaluate(JobContext job) throws Exception {
        Arguments args = job.arguments();
        BenchmarkOptions options = BenchmarkOptions.of(args, name(), defaultShots());
        Path root = options.localPath();
        List<String> subjects = options.subsets();
        int shots = options.fewShot();
        int limit = args.getInt("eval_limit", Integer.MAX_VALUE);
        Map<String, List<Question>> tests = questions(root, subjects);
        Map<String, List<Question>> dev = shots > 0 ? examples(root, subjects) : Map.of();
        long total = tests.values().stream()
                .mapToLong(q -> Math.min(q.size(), limit))
                .sum();

        Path details = job.outputDir().resolve(PerplexityEvaluator.DETAILS);
        Path partial = job.outputDir().resolve(PerplexityEvaluator.DETAILS + ".partial");
        Files.createDirectories(job.outputDir());
        Tally tally = new Tally();
        int asked = 0;
        Throughput throughput = new Throughput();
        try (NDManager manager = engine.newManager(job.device());
                LoadedModel model = models.load(ModelArguments.request(job, true), manager);
                BufferedWriter out = Files.newBufferedWriter(partial)) {
            ContinuationScorer scorer = new ContinuationScorer(model.model(), model.prompts(), manager);
            job.progress().begin("eval", total);
            for (Map.Entry<String, List<Question>> subject : tests.entrySet()) {
                List<Question> examples = dev.getOrDefault(subject.getKey(), List.of());
                List<Question> fewShot = examples.subList(0, Math.min(shots, examples.size()));
                for (Question q : subject.getValue()
                        .subList(0, Math.min(limit, subject.getValue().size()))) {
                    if (job.isCancelled()) {
                        break;
                    }
                    List<String> answers = continuations(q);
                    double[] scores = scorer.score(prompt(q, fewShot), answers);
                    String predicted = q.labels().get(argmax(scores));
                    tally.add(q.subject(), "acc", predicted.equals(q.answer()));
                    asked++;
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("subject", q.subject());
                    line.put("index", q.index());
                    line.put("answer", q.answer());
                    line.put("predicted", predicted);
                    if (reportsNormalisedAccuracy()) {
                        double[] perCharacter = new double[scores.length];
                        for (int c = 0; c < scores.length; c++) {
                            perCharacter[c] = scores[c] / answers.get(c).length();
                        }
                        String predictedNormalised = q.labels().get(argmax(perCharacter));
                        tally.add(q.subject(), "acc_norm", predictedNormalised.equals(q.answer()));
                        line.put("predicted_norm", predictedNormalised);
                    }
                    line.put("log_likelihoods", scores);
                    out.write(JSON.writeValueAsString(line));
                    out.newLine();
                    job.progress().step(asked, Map.of("acc", tally.accuracy("acc")));
                }
            }
            throughput.add(asked, scorer.tokensForwarded());
            job.progress().message(throughput.summary("forwarded"));
        }
        Files.move(partial, details, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (asked == 0) {
            throw new IllegalArgumentException("local_path " + root + ": no test question to ask");
        }
        Map<String, Double> metrics = new LinkedHashMap<>(tally.perSubset("acc"));
        metrics.put("acc", tally.accuracy("acc"));
        if (reportsNormalisedAccuracy()) {
            metrics.put("acc_norm", tally.accuracy("acc_norm"));
        }
        metrics.put("questions", (double) asked);
        return new EvaluationReport(metrics, details, tally.subsets());
    }

    private static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }
}

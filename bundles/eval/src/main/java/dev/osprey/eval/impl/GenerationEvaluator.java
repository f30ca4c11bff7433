package dev.osprey.eval.impl;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

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
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.load.ModelArguments;

/**
 * A benchmark answered by generation: each problem is asked after {@code few_shot_num} worked examples, the model
 * writes a solution (greedy unless {@code --eval_generation_config} says otherwise) until one of the benchmark's stop
 * strings, and each of the benchmark's answer filters extracts a final answer from it that is compared with the
 * reference (the model loaded here, or the server at {@code --eval_url}). The first filter gives {@code acc} (and {@code acc/SUBSET}), the others {@code acc_FILTER}. Problems
 * are generated {@code --eval_batch_size} at a time (left-padded; with {@code --eval_url}, that many requests in
 * flight). {@code eval_details.jsonl} holds each problem's
 * completion and extracted answers; a run that stopped part-way left {@code eval_details.jsonl.partial}, and the
 * next run into the same {@code --eval_output_dir} keeps those answers and asks only the rest.
 */
abstract class GenerationEvaluator implements Evaluator {

    /**
     * One problem: its subset, index in the subset, text, worked solution (for examples), final answer, and the row
     * it was read from where the benchmark judges by more than an answer (IFEval's instructions; null otherwise).
     */
    record Problem(String subset, int index, String question, String solution, String answer, JsonNode data) {

        Problem(String subset, int index, String question, String solution, String answer) {
            this(subset, index, question, solution, answer, null);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelService models;
    private final EngineRuntime engine;

    GenerationEvaluator(ModelService models, EngineRuntime engine) {
        this.models = models;
        this.engine = engine;
    }

    /** The problems to ask, by subset, from {@code root}; only those of {@code subsets} when not empty. */
    abstract Map<String, List<Problem>> problems(Path root, List<String> subsets) throws IOException;

    /** The worked examples to show first, by subset (the same list under every subset when the benchmark has one). */
    abstract Map<String, List<Problem>> examples(Path root, List<String> subsets) throws IOException;

    /** The prompt of {@code problem} after {@code shots}, ending where the model's solution starts. */
    abstract String prompt(Problem problem, List<Problem> shots);

    /** Where a solution ends, beyond the model's end of sequence. */
    abstract List<String> stopStrings();

    /** The benchmark's usual number of examples shown. */
    abstract int defaultShots();

    /** The answer filters by name, in order, each giving the final answer it finds in a completion or "". */
    Map<String, Function<String, String>> filters() {
        return Map.of();
    }

    /** Whether {@code extracted} is the reference answer of {@code problem}. */
    boolean isCorrect(String extracted, Problem problem) {
        return false;
    }

    @Override
    public List<ArgumentSpec> arguments() {
        List<ArgumentSpec> arguments = new ArrayList<>(BenchmarkOptions.arguments(name()));
        arguments.add(ArgumentSpec.of(
                "eval_batch_size",
                Type.INTEGER,
                "problems generated together, or requests in flight with --eval_url (default 1)"));
        arguments.add(ArgumentSpec.of(
                "eval_url",
                Type.TEXT,
                "an OpenAI-compatible server's base URL (e.g. http://127.0.0.1:8000/v1) to evaluate instead of a model"
                        + " loaded here; --model is then the served model's name, the API key $OPENAI_API_KEY of the"
                        + " process that runs the job"));
        arguments.add(ArgumentSpec.of(
                "eval_generation_config",
                Type.MAPPING,
                "{\"max_tokens\": 512, \"temperature\": 0, \"top_p\": 1, \"top_k\": 0, \"seed\": 0}"));
        return arguments;
    }

    @Override
    public EvaluationReport evaluate(JobContext job) throws Exception {
        Arguments args = job.arguments();
        BenchmarkOptions options = BenchmarkOptions.of(args, name(), defaultShots());
        int limit = args.getInt("eval_limit", Integer.MAX_VALUE);
        int batchSize = Math.max(1, args.getInt("eval_batch_size", 1));
        JsonNode generation = generationConfig(args);
        Map<String, List<Problem>> tests = problems(options.localPath(), options.subsets());
        Map<String, List<Problem>> examples =
                options.fewShot() > 0 ? examples(options.localPath(), options.subsets()) : Map.of();
        List<Problem> asked = new ArrayList<>();
        tests.values().forEach(p -> asked.addAll(p.subList(0, Math.min(limit, p.size()))));
        if (asked.isEmpty()) {
            throw new IllegalArgumentException("local_path " + options.localPath() + ": no problem to ask");
        }

        Files.createDirectories(job.outputDir());
        Path details = job.outputDir().resolve(PerplexityEvaluator.DETAILS);
        Path partial = job.outputDir().resolve(PerplexityEvaluator.DETAILS + ".partial");
        List<JsonNode> answered = earlierAnswers(partial);
        Set<String> done = new HashSet<>();
        answered.forEach(
                a -> done.add(key(a.path("subset").asText(), a.path("index").asInt())));
        List<Problem> remaining = asked.stream()
                .filter(p -> !done.contains(key(p.subset(), p.index())))
                .toList();

        try (CompletionSource source = completions(job, generation);
                BufferedWriter out =
                        Files.newBufferedWriter(partial, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            Tally running = new Tally(); // the answers so far, counted once each for the progress line
            answered.forEach(a -> count(running, a));
            job.progress().begin("eval", asked.size());
            job.progress().step(answered.size(), Map.of());
            Throughput throughput = new Throughput();
            int before = answered.size();
            for (int from = 0; from < remaining.size() && !job.isCancelled(); from += batchSize) {
                List<Problem> batch = remaining.subList(from, Math.min(remaining.size(), from + batchSize));
                List<String> prompts = new ArrayList<>();
                for (Problem p : batch) {
                    List<Problem> pool = examples.getOrDefault(p.subset(), List.of());
                    prompts.add(prompt(p, pool.subList(0, Math.min(options.fewShot(), pool.size()))));
                }
                List<String> completions = source.complete(prompts);
                for (int i = 0; i < batch.size(); i++) {
                    JsonNode line = JSON.valueToTree(detail(batch.get(i), completions.get(i)));
                    out.write(JSON.writeValueAsString(line));
                    out.newLine();
                    answered.add(line);
                    count(running, line);
                }
                out.flush(); // a stopped run keeps every finished batch
                String primary = metricNames().get(0);
                job.progress().step(answered.size(), Map.of(primary, running.accuracy(primary)));
            }
            throughput.add(answered.size() - before, source.tokensGenerated());
            job.progress().message(throughput.summary("generated"));
        }
        if (job.isCancelled()) {
            return report(answered, partial);
        }
        Files.move(partial, details, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return report(answered, details);
    }

    /** The server at {@code --eval_url} when one is given, else the model loaded here. */
    private CompletionSource completions(JobContext job, JsonNode generation) throws IOException {
        Arguments args = job.arguments();
        Optional<String> url = args.getString("eval_url");
        if (url.isPresent()) {
            String served = args.getString("model")
                    .orElseThrow(() -> new IllegalArgumentException(
                            "--eval_url needs --model, the name the server serves the model under"));
            // the key stays out of the job's arguments, which the job service keeps and lists
            String apiKey = Optional.ofNullable(System.getenv("OPENAI_API_KEY")).orElse("");
            return new RemoteCompletions(url.get(), served, apiKey, generation, stopStrings());
        }
        NDManager manager = engine.newManager(job.device());
        try {
            LoadedModel model = models.load(ModelArguments.request(job, true), manager);
            return new LocalCompletions(manager, model, sampling(generation, model, stopStrings()), name());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private Map<String, Object> detail(Problem problem, String completion) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("subset", problem.subset());
        line.put("index", problem.index());
        line.put("answer", problem.answer());
        line.put("completion", completion);
        line.putAll(judge(problem, completion));
        return line;
    }

    /**
     * The verdict on one completion, as fields of its {@code eval_details.jsonl} line that {@link #count} reads back:
     * by default each filter's extracted answer ({@code extracted}) and whether it is right ({@code correct}).
     */
    Map<String, Object> judge(Problem problem, String completion) {
        Map<String, Object> extracted = new LinkedHashMap<>();
        Map<String, Object> correct = new LinkedHashMap<>();
        filters().forEach((name, filter) -> {
            String value = filter.apply(completion);
            extracted.put(name, value);
            correct.put(name, isCorrect(value, problem));
        });
        return Map.of("extracted", extracted, "correct", correct);
    }

    /** The metrics reported, the first also per subset: {@code acc} of the first filter, {@code acc_FILTER} of the others. */
    List<String> metricNames() {
        List<String> names = new ArrayList<>(List.of("acc"));
        filters().keySet().stream().skip(1).forEach(name -> names.add("acc_" + name));
        return names;
    }

    /** {@code acc} (and {@code acc/SUBSET}) of the first filter, {@code acc_FILTER} of the others. */
    private Tally tally(List<JsonNode> answered) {
        Tally tally = new Tally();
        answered.forEach(a -> count(tally, a));
        return tally;
    }

    /** Counts one answer line's verdict (as {@link #judge} wrote it) under each of {@link #metricNames()}. */
    void count(Tally tally, JsonNode answer) {
        List<String> names = new ArrayList<>(filters().keySet());
        for (int f = 0; f < names.size(); f++) {
            tally.add(
                    answer.path("subset").asText(),
                    f == 0 ? "acc" : "acc_" + names.get(f),
                    answer.path("correct").path(names.get(f)).asBoolean());
        }
    }

    private EvaluationReport report(List<JsonNode> answered, Path details) {
        Tally tally = tally(answered);
        List<String> names = metricNames();
        Map<String, Double> metrics = new LinkedHashMap<>(tally.perSubset(names.get(0)));
        names.forEach(name -> metrics.put(name, tally.accuracy(name)));
        metrics.put("questions", (double) answered.size());
        return new EvaluationReport(metrics, details, tally.subsets());
    }

    /** The answers a stopped run wrote, whole lines only (the last may have been cut mid-write). */
    private static List<JsonNode> earlierAnswers(Path partial) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        if (!Files.exists(partial)) {
            return lines;
        }
        List<String> text = Files.readAllLines(partial);
        StringBuilder kept = new StringBuilder();
        for (String line : text) {
            try {
                lines.add(JSON.readTree(line));
                kept.append(line).append('\n');
            } catch (JsonProcessingException e) {
                break;
            }
        }
        Files.writeString(partial, kept);
        return lines;
    }

    private static String key(String subset, int index) {
        return subset + '\u0000' + index;
    }

    private static JsonNode generationConfig(Arguments args) {
        String text = args.getString("eval_generation_config", "{}");
        try {
            JsonNode config = JSON.readTree(text);
            if (!config.isObject()) {
                throw new IllegalArgumentException("--eval_generation_config must be a JSON object, was " + text);
            }
            return config;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "--eval_generation_config is not JSON: " + e.getOriginalMessage() + " in " + text, e);
        }
    }

    /** EvalScope's generation config: greedy at temperature 0 (the default), sampling above it. */
    private static GenerationOptions sampling(JsonNode config, LoadedModel model, List<String> stops) {
        int maxTokens =
                config.path("max_tokens").asInt(config.path("max_new_tokens").asInt(512));
        double temperature = config.path("temperature").asDouble(0);
        boolean sample = config.path("do_sample").asBoolean(temperature > 0);
        return new GenerationOptions(
                maxTokens,
                sample,
                sample ? temperature : 1.0,
                config.path("top_k").asInt(0),
                config.path("top_p").asDouble(1.0),
                0,
                config.path("repetition_penalty").asDouble(1.0),
                0,
                0,
                config.path("seed").asLong(0),
                model.generation().eosTokenIds(),
                Set.of(),
                stops);
    }
}

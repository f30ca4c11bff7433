package dev.osprey.eval.impl;

import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.dataset.DatasetService;
import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.eval.EvaluationReport;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.ArgumentSpec.Type;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelService;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelArguments;

/**
 * {@code perplexity}: how well a model predicts the conversations of a dataset (any of ms-swift's formats), the
 * trained positions chosen as in training ({@code --loss_scale}). Each conversation is one forward pass, its loss
 * transformers' causal-LM loss; the report gives the token-weighted mean loss over the dataset and its exponent,
 * the perplexity, and writes each conversation's loss to {@code eval_details.jsonl}. Arguments: those of {@link
 * ModelArguments} (adapters are merged), {@code --dataset}, {@code --max_length}, {@code --eval_limit},
 * {@code --loss_scale}.
 */
@Component(service = Evaluator.class)
public class PerplexityEvaluator implements Evaluator {

    static final String NAME = "perplexity";
    static final String DETAILS = "eval_details.jsonl";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelService models;
    private final DatasetService datasets;
    private final EngineRuntime engine;

    @Activate
    public PerplexityEvaluator(
            @Reference ModelService models, @Reference DatasetService datasets, @Reference EngineRuntime engine) {
        this.models = models;
        this.datasets = datasets;
        this.engine = engine;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "mean token loss and perplexity of a dataset's conversations";
    }

    @Override
    public List<ArgumentSpec> arguments() {
        return List.of(
                ArgumentSpec.of("model", Type.TEXT, "the model (folder or hub id)"),
                ArgumentSpec.of("adapters", Type.LIST, "PEFT LoRA adapter folder(s), merged before evaluating"),
                ArgumentSpec.of("dataset", Type.LIST, "the dataset file(s) to evaluate on"),
                new ArgumentSpec(
                        "max_length",
                        List.of(),
                        Type.INTEGER,
                        List.of("2048"),
                        "longer conversations are cut to this many tokens",
                        List.of()),
                ArgumentSpec.of("eval_limit", Type.INTEGER, "evaluate only the first N conversations"),
                new ArgumentSpec(
                        "loss_scale",
                        List.of(),
                        Type.TEXT,
                        List.of("default"),
                        "which tokens count, as in training",
                        List.of("default", RenderOptions.LAST_ROUND, RenderOptions.ALL)));
    }

    @Override
    public EvaluationReport evaluate(JobContext job) throws Exception {
        Arguments args = job.arguments();
        List<Conversation> rows = conversations(args);
        int maxLength = args.getInt("max_length", 2048);
        String scope = lossScope(args.getString("loss_scale", "default"));
        Path details = job.outputDir().resolve(DETAILS);
        Path partial = job.outputDir().resolve(DETAILS + ".partial");
        Files.createDirectories(job.outputDir());
        double nllSum = 0;
        long tokens = 0;
        int evaluated = 0;
        int skipped = 0;
        try (NDManager manager = engine.newManager(job.device());
                LoadedModel model = models.load(ModelArguments.request(job, true), manager);
                BufferedWriter out = Files.newBufferedWriter(partial)) {
            PromptEncoder prompts = model.prompts();
            job.progress().begin("eval", rows.size());
            for (int i = 0; i < rows.size() && !job.isCancelled(); i++) {
                EncodedPrompt encoded = prompts.forTraining(rows.get(i), scope);
                int length = Math.min(encoded.length(), maxLength);
                int[] labels = Arrays.copyOf(encoded.labels(), length);
                int predicted = predictedTokens(labels);
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("index", i);
                line.put("tokens", predicted);
                if (predicted == 0) {
                    skipped++; // nothing of it is scored (e.g. no assistant turn)
                } else {
                    double loss = loss(model, manager, Arrays.copyOf(encoded.inputIds(), length), labels);
                    nllSum += loss * predicted;
                    tokens += predicted;
                    evaluated++;
                    line.put("loss", loss);
                }
                out.write(JSON.writeValueAsString(line));
                out.newLine();
                job.progress().step(i + 1, tokens == 0 ? Map.of() : Map.of("loss", nllSum / tokens));
            }
        }
        Files.move(partial, details, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (tokens == 0) {
            throw new IllegalArgumentException(
                    "--dataset " + args.getList("dataset") + ": no conversation has a token to score (--loss_scale "
                            + args.getString("loss_scale", "default") + ")");
        }
        double loss = nllSum / tokens;
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", loss);
        metrics.put("perplexity", Math.exp(loss));
        metrics.put("tokens", (double) tokens);
        metrics.put("samples", (double) evaluated);
        metrics.put("skipped", (double) skipped);
        return new EvaluationReport(metrics, details);
    }

    /** The rows of every {@code --dataset}, the first {@code --eval_limit} of them when given. */
    private List<Conversation> conversations(Arguments args) {
        List<String> files = args.getList("dataset");
        if (files.isEmpty()) {
            throw new IllegalArgumentException(NAME + " needs --dataset FILE, the conversations to evaluate on");
        }
        List<Conversation> rows = files.stream()
                .flatMap(f -> datasets.conversations(Path.of(f)).stream())
                .toList();
        int limit = args.getInt("eval_limit", rows.size());
        if (limit <= 0) {
            throw new IllegalArgumentException("--eval_limit must be positive, was " + limit);
        }
        return rows.subList(0, Math.min(limit, rows.size()));
    }

    private static String lossScope(String lossScale) {
        return switch (lossScale) {
            case "default" -> RenderOptions.ALL_ASSISTANT;
            case RenderOptions.LAST_ROUND, RenderOptions.ALL -> lossScale;
            default ->
                throw new IllegalArgumentException(
                        "--loss_scale must be default, last_round or all, was '" + lossScale + "'");
        };
    }

    /** Positions whose label is predicted: every labelled one but the first token, which nothing precedes. */
    private static int predictedTokens(int[] labels) {
        int n = 0;
        for (int t = 1; t < labels.length; t++) {
            n += labels[t] == EncodedPrompt.IGNORE_INDEX ? 0 : 1;
        }
        return n;
    }

    /** transformers' causal-LM loss of one conversation: the mean negative log-likelihood of its labels. */
    private static double loss(LoadedModel model, NDManager parent, int[] ids, int[] labels) {
        try (NDManager step = parent.newSubManager()) {
            NDArray input = step.create(toLongs(ids)).reshape(1, ids.length); // (1, T)
            NDArray target = step.create(toLongs(labels)).reshape(1, labels.length); // (1, T)
            NDArray logits =
                    model.model().forward(ForwardRequest.builder(input).build()).logits(); // (1, T, V)
            return Losses.causalLm(logits, target).getFloat();
        }
    }

    private static long[] toLongs(int[] values) {
        return Arrays.stream(values).asLongStream().toArray();
    }
}

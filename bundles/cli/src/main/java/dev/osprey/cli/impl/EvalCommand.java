package dev.osprey.cli.impl;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.cli.spi.ModelOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osprey eval}: runs an {@code Evaluator} service as a job of the platform's job service (as {@code POST
 * /api/jobs} with {@code "kind": "evaluator"} does), with ms-swift's argument names: {@code --eval_dataset NAME}
 * picks the evaluator (the built-in {@code perplexity} scores {@code --dataset} files; {@code mmlu}, {@code cmmlu},
 * {@code ceval}, {@code arc}, {@code hellaswag}, {@code truthful_qa}, {@code gsm8k}, {@code math}, {@code ifeval} and
 * the user's own {@code general_mcq} and {@code general_qa} read a local copy named by {@code --dataset_args}; more
 * benchmarks arrive as more evaluator plugins), {@code --eval_output_dir} receives {@code eval_result.json}.
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
                "Evaluate a model through an evaluator plugin: --eval_dataset perplexity --dataset FILE scores"
                        + " a dataset's conversations; --eval_dataset mmlu|cmmlu|ceval|arc|hellaswag|truthful_qa|gsm8k|math|ifeval"
                        + "|general_mcq|general_qa --dataset_args '{\"NAME\": {\"local_path\": DIR}}' a benchmark's local copy.")
public class EvalCommand extends PlatformCommand implements Callable<Integer> {

    @Mixin
    AdaptedModelOptions modelOptions;

    @Option(
            names = "--eval_dataset",
            paramLabel = "NAME",
            defaultValue = "perplexity",
            description = "the evaluator to run (default: ${DEFAULT-VALUE})")
    String evaluator;

    @Option(names = "--dataset", paramLabel = "FILE", split = ",", description = "the data the evaluator reads")
    List<Path> datasets;

    @Option(
            names = "--dataset_args",
            paramLabel = "JSON",
            description = "per benchmark options, e.g. '{\"mmlu\": {\"local_path\": \"DIR\", \"few_shot_num\": 5}}'")
    String datasetArgs;

    @Option(names = "--eval_limit", paramLabel = "N", description = "evaluate only the first N samples")
    Integer evalLimit;

    @Option(
            names = "--eval_batch_size",
            paramLabel = "N",
            description = "benchmarks answered by generation: problems generated together")
    Integer evalBatchSize;

    @Option(
            names = "--eval_generation_config",
            paramLabel = "JSON",
            description = "benchmarks answered by generation, e.g. '{\"max_tokens\": 512, \"temperature\": 0}'")
    String generationConfig;

    @Option(
            names = "--eval_url",
            paramLabel = "URL",
            description = "evaluate the model an OpenAI-compatible server serves (e.g. http://127.0.0.1:8000/v1);"
                    + " --model is then its served name; its API key from $OPENAI_API_KEY")
    String evalUrl;

    @Option(names = "--max_length", paramLabel = "N", description = "cut longer samples to N tokens")
    Integer maxLength;

    @Option(
            names = "--loss_scale",
            paramLabel = "SCOPE",
            description = "perplexity: which tokens count, as in training (default, last_round, all)")
    String lossScale;

    @Option(names = "--template", paramLabel = "NAME", description = "the chat template, over the model's own")
    String template;

    @Option(
            names = {"--eval_output_dir", "--output_dir"},
            paramLabel = "DIR",
            description = "where eval_result.json goes; default: the job's folder")
    Path outputDir;

    @Mixin
    ModelOptions.Loading loading;

    @Mixin
    DeviceOption device;

    @Option(names = ArgumentOptions.SERVER, paramLabel = "URL", description = RemoteJob.SERVER_OPTION)
    String server;

    @Override
    public Integer call() throws Exception {
        return runJob(ExtensionKind.EVALUATOR, evaluator, arguments(), server, device.device);
    }

    /** The job's arguments by ms-swift name, paths absolute. */
    private Map<String, Object> arguments() {
        Map<String, Object> args = new LinkedHashMap<>();
        modelOptions.putInto(args);
        if (datasets != null) {
            args.put(
                    "dataset",
                    datasets.stream().map(p -> p.toAbsolutePath().toString()).toList());
        }
        if (datasetArgs != null) {
            args.put("dataset_args", datasetArgs);
        }
        if (evalLimit != null) {
            args.put("eval_limit", evalLimit);
        }
        if (evalBatchSize != null) {
            args.put("eval_batch_size", evalBatchSize);
        }
        if (generationConfig != null) {
            args.put("eval_generation_config", generationConfig);
        }
        if (evalUrl != null) {
            args.put("eval_url", evalUrl);
        }
        if (maxLength != null) {
            args.put("max_length", maxLength);
        }
        if (lossScale != null) {
            args.put("loss_scale", lossScale);
        }
        if (template != null) {
            args.put("template", template);
        }
        if (outputDir != null) {
            args.put("output_dir", outputDir.toAbsolutePath().toString());
        }
        args.putAll(loading.arguments());
        return args;
    }
}

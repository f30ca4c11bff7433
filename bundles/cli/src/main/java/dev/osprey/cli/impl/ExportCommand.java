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
 * {@code osprey export}: runs an {@code Exporter} service as a job of the platform's job service (as {@code POST
 * /api/jobs} with {@code "kind": "exporter"} does), with ms-swift's argument names. {@code --merge_lora true} runs
 * {@code merge_lora} (the adapters merged into the base, written as a Hugging Face folder, by default beside the
 * first adapter as {@code DIR-merged}); {@code --quant_method NAME} runs the exporter of that name ({@code gguf}, also
 * {@code --to_gguf true}: a llama.cpp file, typed by {@code --gguf_type} or {@code --quant_bits}; {@code gptq},
 * {@code awq} and {@code fp8}: quantized Hugging Face
 * folders, GPTQ and AWQ calibrated on {@code --dataset}); {@code --push_to_hub} runs {@code push_to_hub}, which uploads
 * what the others write (or the first adapter, or the model folder) to ModelScope or Hugging Face.
 */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Export a model through an exporter plugin: --merge_lora true merges --adapters into the base.")
public class ExportCommand extends PlatformCommand implements Callable<Integer> {

    static final String MERGE_LORA = "merge_lora";
    static final String OLLAMA = "ollama";
    static final String PUSH_TO_HUB = "push_to_hub";
    static final String GGUF = "gguf";

    @Mixin
    AdaptedModelOptions modelOptions;

    @Option(
            names = "--merge_lora",
            arity = "0..1",
            fallbackValue = "true",
            defaultValue = "false",
            description = "merge --adapters into the weights (default: ${DEFAULT-VALUE})")
    boolean mergeLora;

    @Option(
            names = "--quant_method",
            paramLabel = "METHOD",
            description = "the quantizing exporter to run: gptq, awq, fp8, gguf, or another installed one")
    String quantMethod;

    @Option(
            names = "--quant_bits",
            paramLabel = "BITS",
            description = "bits per weight of a quantized export (gptq: 4 or 8; awq: 4; fp8: 8; gguf: 8 for q8_0, 4 for"
                    + " q4_k_m)")
    Integer quantBits;

    @Option(
            names = "--dataset",
            paramLabel = "FILE",
            split = ",",
            description = "with --quant_method gptq or awq: the calibration data (any of ms-swift's formats)")
    List<Path> datasets;

    @Option(
            names = "--quant_n_samples",
            paramLabel = "N",
            description = "gptq, awq: calibration samples, the first N rows of --dataset (default 256)")
    Integer quantSamples;

    @Option(
            names = "--max_length",
            paramLabel = "TOKENS",
            description = "gptq, awq: each calibration sample is cut to this many tokens (default 2048)")
    Integer maxLength;

    @Option(
            names = "--group_size",
            paramLabel = "G",
            description = "gptq, awq: input rows per scale (default 128; gptq -1: per channel); fp8: the block edge")
    Integer groupSize;

    @Option(
            names = "--desc_act",
            arity = "1",
            paramLabel = "BOOL",
            description = "gptq: act-order, columns by decreasing Hessian diagonal, g_idx written (default true)")
    Boolean descAct;

    @Option(names = "--sym", arity = "1", paramLabel = "BOOL", description = "gptq: symmetric grid (default true)")
    Boolean sym;

    @Option(
            names = "--damp_percent",
            paramLabel = "F",
            description = "gptq: Hessian damping, a fraction of its mean diagonal (default 0.01)")
    Double dampPercent;

    @Option(names = "--awq_grid", paramLabel = "N", description = "awq: values of alpha searched (default 20)")
    Integer awqGrid;

    @Option(
            names = "--fp8_scheme",
            paramLabel = "SCHEME",
            description = "fp8: block (weight_block_size G x G, the default) or channel (fbgemm_fp8)")
    String fp8Scheme;

    @Option(
            names = "--to_gguf",
            arity = "0..1",
            fallbackValue = "true",
            defaultValue = "false",
            description = "write one llama.cpp GGUF file (the same as --quant_method gguf), typed by --gguf_type"
                    + " (default: ${DEFAULT-VALUE})")
    boolean toGguf;

    @Option(
            names = "--gguf_type",
            paramLabel = "TYPE",
            description = "with --to_gguf: f32, f16 (default), q8_0, or llama-quantize's mixes q4_k_m, q5_k_m, q6_k")
    String ggufType;

    @Option(
            names = "--to_ollama",
            arity = "0..1",
            fallbackValue = "true",
            defaultValue = "false",
            description = "write Ollama's Modelfile: beside the GGUF file with --quant_method gguf, else for the model"
                    + " folder or --gguf_file (default: ${DEFAULT-VALUE})")
    boolean toOllama;

    @Option(names = "--gguf_file", paramLabel = "FILE", description = "with --to_ollama: the GGUF file to name in FROM")
    Path ggufFile;

    @Option(
            names = "--push_to_hub",
            arity = "0..1",
            fallbackValue = "true",
            defaultValue = "false",
            description = "upload to ModelScope (--use_hf true: Hugging Face) as --hub_model_id: what --merge_lora or"
                    + " --quant_method writes, else the first --adapters, else the --model folder (default:"
                    + " ${DEFAULT-VALUE})")
    boolean pushToHub;

    @Option(names = "--hub_model_id", paramLabel = "OWNER/NAME", description = "with --push_to_hub: the repository")
    String hubModelId;

    @Option(
            names = "--hub_token",
            paramLabel = "TOKEN",
            description = "with --push_to_hub: a write token (default: $MODELSCOPE_API_TOKEN, with --use_hf $HF_TOKEN);"
                    + " never written to the job's record or logs")
    String hubToken;

    @Option(
            names = "--hub_private_repo",
            arity = "0..1",
            fallbackValue = "true",
            defaultValue = "false",
            description = "with --push_to_hub: a repository the push creates is private (default: ${DEFAULT-VALUE})")
    boolean hubPrivateRepo;

    @Option(
            names = "--commit_message",
            paramLabel = "TEXT",
            defaultValue = "update files",
            description = "with --push_to_hub: the commit's message (default: ${DEFAULT-VALUE})")
    String commitMessage;

    @Option(
            names = "--output_dir",
            paramLabel = "DIR",
            description = "where to write; default with --merge_lora: the adapter folder + '-merged'")
    Path outputDir;

    @Option(names = "--save_dtype", defaultValue = "F32", description = "F32, F16 or BF16 (default: ${DEFAULT-VALUE})")
    String saveDtype;

    @Mixin
    ModelOptions.Loading loading;

    @Mixin
    DeviceOption device;

    @Option(names = ArgumentOptions.SERVER, paramLabel = "URL", description = RemoteJob.SERVER_OPTION)
    String server;

    @Override
    public Integer call() throws Exception {
        return runJob(ExtensionKind.EXPORTER, exporter(), arguments(), server, device.device);
    }

    /**
     * The exporter to run: {@code push_to_hub} with {@code --push_to_hub} (it runs the one the other options name
     * first), the quantizing one named by {@code --quant_method}, else {@code merge_lora}.
     */
    private String exporter() {
        if (pushToHub) {
            if (hubModelId == null) {
                throw new IllegalArgumentException("--push_to_hub needs --hub_model_id OWNER/NAME");
            }
            if (mergeLora && modelOptions.adapters().isEmpty()) {
                throw new IllegalArgumentException("--merge_lora needs --adapters DIR, the PEFT adapter to merge");
            }
            return PUSH_TO_HUB;
        }
        if (quantMethod() != null) {
            return quantMethod();
        }
        if (toOllama && !mergeLora) {
            return OLLAMA;
        }
        if (!mergeLora) {
            throw new IllegalArgumentException(
                    "nothing to export: give --merge_lora true, --quant_method METHOD, --to_gguf true or --to_ollama"
                            + " true");
        }
        if (modelOptions.adapters().isEmpty()) {
            throw new IllegalArgumentException("--merge_lora needs --adapters DIR, the PEFT adapter to merge");
        }
        return MERGE_LORA;
    }

    /** {@code --quant_method}, or {@code gguf} for {@code --to_gguf}. */
    private String quantMethod() {
        if (!toGguf) {
            return quantMethod;
        }
        if (quantMethod != null && !quantMethod.equals(GGUF)) {
            throw new IllegalArgumentException(
                    "--to_gguf writes a GGUF file; it cannot be combined with --quant_method " + quantMethod);
        }
        return GGUF;
    }

    /** The job's arguments by ms-swift name, paths absolute. */
    private Map<String, Object> arguments() {
        Map<String, Object> args = new LinkedHashMap<>();
        modelOptions.putInto(args);
        args.put("merge_lora", mergeLora);
        if (quantMethod() != null) {
            args.put("quant_method", quantMethod());
        }
        if (quantBits != null) {
            args.put("quant_bits", quantBits);
        }
        if (ggufType != null) {
            args.put("gguf_type", ggufType);
        }
        if (datasets != null && !datasets.isEmpty()) {
            args.put(
                    "dataset",
                    datasets.stream().map(d -> d.toAbsolutePath().toString()).toList());
        }
        putIfGiven(args, "quant_n_samples", quantSamples);
        putIfGiven(args, "max_length", maxLength);
        putIfGiven(args, "group_size", groupSize);
        putIfGiven(args, "desc_act", descAct);
        putIfGiven(args, "sym", sym);
        putIfGiven(args, "damp_percent", dampPercent);
        putIfGiven(args, "awq_grid", awqGrid);
        putIfGiven(args, "fp8_scheme", fp8Scheme);
        if (toOllama) {
            args.put("to_ollama", true);
        }
        if (ggufFile != null) {
            args.put("gguf_file", ggufFile.toAbsolutePath().toString());
        }
        if (pushToHub) {
            args.put("push_to_hub", true);
            args.put("hub_model_id", hubModelId);
            args.put("hub_private_repo", hubPrivateRepo);
            args.put("commit_message", commitMessage);
            if (hubToken != null) {
                args.put("hub_token", hubToken); // the job service keeps it out of job.json and GET /api/jobs
            }
        }
        Path out = outputDir != null
                ? outputDir
                : mergeLora && !modelOptions.adapters().isEmpty()
                        ? mergedBeside(modelOptions.adapters().get(0))
                        : null;
        if (out != null) {
            args.put("output_dir", out.toAbsolutePath().toString());
        }
        args.put("save_dtype", saveDtype);
        args.putAll(loading.arguments());
        return args;
    }

    private static void putIfGiven(Map<String, Object> args, String name, Object value) {
        if (value != null) {
            args.put(name, value);
        }
    }

    /** ms-swift's default output of a merge: the adapter folder's sibling {@code NAME-merged}. */
    private static Path mergedBeside(Path adapter) {
        Path absolute = adapter.toAbsolutePath().normalize();
        return absolute.resolveSibling(absolute.getFileName() + "-merged");
    }
}

package dev.osprey.cli.impl;

import java.nio.file.Path;
import java.util.LinkedHashMap;
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
 * first adapter as {@code DIR-merged}); {@code --quant_method NAME} runs the exporter of that name ({@code gguf}: a llama.cpp file, typed by
 * {@code --gguf_type} or {@code --quant_bits}; quantized exports arrive as more exporter plugins).
 */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Export a model through an exporter plugin: --merge_lora true merges --adapters into the base.")
public class ExportCommand extends PlatformCommand implements Callable<Integer> {

    static final String MERGE_LORA = "merge_lora";
    static final String OLLAMA = "ollama";

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
            description = "the quantizing exporter to run (gguf, ...), when installed")
    String quantMethod;

    @Option(
            names = "--quant_bits",
            paramLabel = "BITS",
            description = "bits per weight of a quantized export (gguf: 8 for q8_0)")
    Integer quantBits;

    @Option(
            names = "--gguf_type",
            paramLabel = "TYPE",
            description = "with --quant_method gguf: f32, f16 (default) or q8_0")
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

    /** The exporter to run: the quantizing one named by {@code --quant_method}, else {@code merge_lora}. */
    private String exporter() {
        if (quantMethod != null) {
            return quantMethod;
        }
        if (toOllama && !mergeLora) {
            return OLLAMA;
        }
        if (!mergeLora) {
            throw new IllegalArgumentException(
                    "nothing to export: give --merge_lora true, --quant_method METHOD or --to_ollama true");
        }
        if (modelOptions.adapters().isEmpty()) {
            throw new IllegalArgumentException("--merge_lora needs --adapters DIR, the PEFT adapter to merge");
        }
        return MERGE_LORA;
    }

    /** The job's arguments by ms-swift name, paths absolute. */
    private Map<String, Object> arguments() {
        Map<String, Object> args = new LinkedHashMap<>();
        modelOptions.putInto(args);
        args.put("merge_lora", mergeLora);
        if (quantMethod != null) {
            args.put("quant_method", quantMethod);
        }
        if (quantBits != null) {
            args.put("quant_bits", quantBits);
        }
        if (ggufType != null) {
            args.put("gguf_type", ggufType);
        }
        if (toOllama) {
            args.put("to_ollama", true);
        }
        if (ggufFile != null) {
            args.put("gguf_file", ggufFile.toAbsolutePath().toString());
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

    /** ms-swift's default output of a merge: the adapter folder's sibling {@code NAME-merged}. */
    private static Path mergedBeside(Path adapter) {
        Path absolute = adapter.toAbsolutePath().normalize();
        return absolute.resolveSibling(absolute.getFileName() + "-merged");
    }
}

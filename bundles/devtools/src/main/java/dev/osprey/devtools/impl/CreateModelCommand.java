package dev.osprey.devtools.impl;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.load.ModelSaver;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code osprey create-model}: writes a freshly initialised model (random weights, as transformers
 * initialises them) as a Hugging Face folder, for tests, demos and benchmarks on this machine, which
 * cannot download real checkpoints. Presets give the shapes of well-known models.
 */
@Command(
        name = "create-model",
        mixinStandardHelpOptions = true,
        description = "Write a randomly initialised model in Hugging Face format (shapes from a preset, overridable).")
public class CreateModelCommand extends DevCommand implements Callable<Integer> {

    /** Shapes of well-known models: vocab, hidden, intermediate, layers, heads, kv heads, tied. */
    static final Map<String, int[]> PRESETS = Map.of(
            "tiny", new int[] {256, 64, 128, 2, 4, 2, 1},
            "110m", new int[] {32000, 768, 2048, 12, 12, 12, 1},
            "tinyllama-1.1b", new int[] {32000, 2048, 5632, 22, 32, 4, 0},
            "7b", new int[] {32000, 4096, 11008, 32, 32, 32, 0});

    @Option(
            names = "--model_type",
            defaultValue = "llama",
            description = "llama, mistral, qwen2, qwen3, gemma (default: ${DEFAULT-VALUE})")
    String modelType;

    @Option(
            names = "--preset",
            defaultValue = "tiny",
            description = "tiny, 110m, tinyllama-1.1b or 7b (default: ${DEFAULT-VALUE})")
    String preset;

    @Option(names = "--vocab_size")
    Integer vocabSize;

    @Option(names = "--hidden_size")
    Integer hiddenSize;

    @Option(names = "--intermediate_size")
    Integer intermediateSize;

    @Option(names = "--num_hidden_layers")
    Integer layers;

    @Option(names = "--num_attention_heads")
    Integer heads;

    @Option(names = "--num_key_value_heads")
    Integer kvHeads;

    @Option(
            names = "--tie_word_embeddings",
            arity = "1",
            description = "share the embedding with the output head (default: the preset's)")
    Boolean tie;

    @Option(
            names = "--initializer_range",
            defaultValue = "0.02",
            description = "the standard deviation of the random weights")
    double initializerRange;

    @Option(
            names = "--torch_dtype",
            defaultValue = "float32",
            description = "how to store the weights: float32, float16 or bfloat16")
    String dtype;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "a tokenizer.json to put in the folder")
    Path tokenizer;

    @Option(
            names = "--bos_token_id",
            defaultValue = "1",
            description = "the tokenizer's beginning-of-text id, written to config.json and generation_config.json")
    int bosTokenId;

    @Option(
            names = "--eos_token_id",
            defaultValue = "2",
            description = "the id that ends a generation (for a chat model its end-of-turn token)")
    int eosTokenId;

    @Option(names = "--output_dir", required = true, paramLabel = "DIR")
    Path outputDir;

    @Override
    public Integer call() throws Exception {
        int[] p = PRESETS.get(preset);
        if (p == null) {
            throw new IllegalArgumentException(
                    "--preset '" + preset + "' is unknown; presets: " + String.join(", ", PRESETS.keySet()));
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(
                "architectures",
                List.of(
                        switch (modelType) {
                            case "qwen2" -> "Qwen2ForCausalLM";
                            case "qwen3" -> "Qwen3ForCausalLM";
                            case "mistral" -> "MistralForCausalLM";
                            case "gemma" -> "GemmaForCausalLM";
                            default -> "LlamaForCausalLM";
                        }));
        config.put("model_type", modelType);
        config.put("vocab_size", vocabSize != null ? vocabSize : p[0]);
        config.put("hidden_size", hiddenSize != null ? hiddenSize : p[1]);
        config.put("intermediate_size", intermediateSize != null ? intermediateSize : p[2]);
        config.put("num_hidden_layers", layers != null ? layers : p[3]);
        config.put("num_attention_heads", heads != null ? heads : p[4]);
        config.put("num_key_value_heads", kvHeads != null ? kvHeads : p[5]);
        config.put("max_position_embeddings", 4096);
        config.put("rms_norm_eps", 1e-5);
        config.put("rope_theta", 10000.0);
        config.put("tie_word_embeddings", tie != null ? tie : p[6] == 1);
        config.put("hidden_act", modelType.equals("gemma") ? "gelu_pytorch_tanh" : "silu");
        config.put("initializer_range", initializerRange);
        config.put("bos_token_id", bosTokenId);
        config.put("eos_token_id", eosTokenId);
        String stored = switch (dtype) {
            case "float16", "fp16" -> "F16";
            case "bfloat16", "bf16" -> "BF16";
            case "float32", "fp32" -> "F32";
            default ->
                throw new IllegalArgumentException(
                        "--torch_dtype must be float32, float16 or bfloat16, was '" + dtype + "'");
        };
        Map<String, byte[]> extra = new LinkedHashMap<>();
        extra.put(
                "generation_config.json",
                ("{\"bos_token_id\": " + bosTokenId + ", \"eos_token_id\": " + eosTokenId + ", \"do_sample\": false}\n")
                        .getBytes(StandardCharsets.UTF_8));
        if (tokenizer != null) {
            extra.put("tokenizer.json", Files.readAllBytes(tokenizer));
        }
        try (ExtensionHandle<ModelArchitecture> arch = platform.extensions.require(ModelArchitecture.class, modelType);
                NDManager manager = platform.requireEngine().newManager(Device.cpu());
                LanguageModel model =
                        arch.get().build(HfConfig.of(config, outputDir.resolve("config.json")), manager)) {
            ModelSaver.save(model, outputDir, stored, extra);
            long count = model.parameters().values().stream()
                    .mapToLong(a -> a.getShape().size())
                    .sum();
            out().printf("wrote a random %s model (%,d parameters, %s) to %s%n", modelType, count, stored, outputDir);
        }
        out().flush();
        return 0;
    }
}

package dev.osprey.train.sft;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.job.Arguments;

/**
 * Everything a pre-training or supervised fine-tuning run needs, by ms-swift's argument names (and the
 * aliases users bring from other tools: {@code model_name_or_path}, {@code train_dataset},
 * {@code tuner_type}, {@code quantization_bit}). The same object backs the Java API, the command line and
 * YAML/JSON config files:
 *
 * <pre>{@code
 * SftArguments args = new SftArguments().model("Qwen/Qwen3-0.6B").dataset("data.jsonl").maxLength(512)
 *         .perDeviceTrainBatchSize(2).learningRate(1e-4).numTrainEpochs(3).outputDir(Path.of("output"))
 *         .loraRank(8).loraAlpha(32).quantBits(4);
 * TrainResult result = new SftJob(args, models).train();
 * }</pre>
 *
 * {@link #validate()} rejects unknown values and contradictions before any work starts.
 */
@JsonAutoDetect(
        fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class SftArguments {

    /** {@code sft}: chat-templated, loss on assistant turns; {@code pt}: raw text, loss on every token. */
    public enum Stage {
        SFT,
        PT
    }

    // ---- model
    @JsonPropertyDescription(
            "a model folder, or a hub id such as Qwen/Qwen3-0.6B (ModelScope by default, --use_hf for Hugging Face)")
    @JsonProperty("model")
    @JsonAlias({"model_name_or_path", "model_id_or_path"})
    private String model;

    @JsonProperty("model_type")
    private String modelType;

    @JsonProperty("model_revision")
    private String modelRevision;

    @JsonProperty("use_hf")
    private boolean useHf;

    @JsonProperty("torch_dtype")
    private String torchDtype = "float32";

    @JsonPropertyDescription("a chat template plugin by name; default: the model's own chat_template")
    @JsonProperty("template")
    private String template;

    @JsonPropertyDescription(
            "how tools, tool calls and tool results are written (ms-swift's agent templates: hermes, qwen3_coder,"
                    + " react_en, react_zh, llama3, llama4, deepseek_v3_1, glm4, chatglm4); default: the chat template's own")
    @JsonProperty("agent_template")
    private String agentTemplate;

    @JsonProperty("device")
    private String device = "cpu";

    @JsonProperty("adapters")
    private String adapters;

    // ---- task (ms-swift's --task_type; alignment methods are run by osprey rlhf)
    @JsonPropertyDescription("causal_lm, seq_cls (a classification head), embedding, reranker or generative_reranker")
    @JsonProperty("task_type")
    private String taskType = TaskType.CAUSAL_LM.argument();

    @JsonPropertyDescription("seq_cls: the number of labels (classes, or regression outputs)")
    @JsonProperty("num_labels")
    private int numLabels;

    @JsonPropertyDescription(
            "seq_cls: single_label_classification, multi_label_classification or regression (default: as transformers"
                    + " chooses from num_labels and the labels)")
    @JsonProperty("problem_type")
    private String problemType;

    @JsonPropertyDescription(
            "embedding: infonce (default) or cosine_similarity; reranker and generative_reranker: pointwise_reranker"
                    + " (default) or listwise_reranker; with --task_type dpo...: the alignment method's loss")
    @JsonProperty("loss_type")
    private String lossType;

    // ---- data
    @JsonPropertyDescription("dataset files or folders in ms-swift's formats; PATH#N takes N rows; several mix")
    @JsonProperty("dataset")
    @JsonAlias("train_dataset")
    private List<String> dataset = new ArrayList<>();

    @JsonPropertyDescription("validation datasets (otherwise --split_dataset_ratio)")
    @JsonProperty("val_dataset")
    private List<String> valDataset = new ArrayList<>();

    @JsonPropertyDescription("hold out this fraction of --dataset for the evaluation loss")
    @JsonProperty("split_dataset_ratio")
    private double splitDatasetRatio;

    @JsonProperty("columns")
    private Map<String, String> columns = new LinkedHashMap<>();

    @JsonPropertyDescription(
            "false: skip bad rows (unreadable, or nothing to train on), named by file:line in the output, instead of stopping")
    @JsonProperty("strict")
    private boolean strict = true;

    @JsonPropertyDescription("read the datasets as training goes (needs --max_steps)")
    @JsonProperty("streaming")
    private boolean streaming;

    @JsonProperty("shuffle_buffer_size")
    private int shuffleBufferSize = 1000;

    @JsonProperty("max_length")
    @JsonAlias({"cutoff_len", "max_seq_length"})
    private int maxLength = 2048;

    @JsonPropertyDescription("rows longer than --max_length: delete, left (keep the end) or right (keep the start)")
    @JsonProperty("truncation_strategy")
    private String truncationStrategy = "delete";

    @JsonPropertyDescription("pack several samples per sequence, each attending to itself only")
    @JsonProperty("packing")
    private boolean packing;

    @JsonPropertyDescription("default (every assistant turn), last_round or all; +ignore_empty_think (or"
            + " ignore_empty_think alone) leaves empty think blocks out of the loss")
    @JsonProperty("loss_scale")
    @JsonAlias("loss_scope")
    private String lossScale = "default";

    // ---- tuner
    @JsonPropertyDescription("lora or full")
    @JsonProperty("train_type")
    @JsonAlias({"tuner_type", "finetuning_type"})
    private String trainType = "lora";

    @JsonProperty("lora_rank")
    @JsonAlias("lora_r")
    private int loraRank = 8;

    @JsonProperty("lora_alpha")
    private double loraAlpha = 32;

    @JsonProperty("lora_dropout")
    private double loraDropout = 0.05;

    @JsonPropertyDescription("linear layers to adapt, by name (q_proj v_proj ...), or all-linear")
    @JsonProperty("target_modules")
    @JsonAlias("lora_target")
    private List<String> targetModules = new ArrayList<>(List.of(LoraConfig.ALL_LINEAR));

    @JsonProperty("use_rslora")
    private boolean useRslora;

    @JsonProperty("use_dora")
    private boolean useDora;

    @JsonPropertyDescription("4 or 8: QLoRA, the frozen base stored in that many bits")
    @JsonProperty("quant_bits")
    @JsonAlias({"quantization_bit", "load_in_nbit"})
    private int quantBits;

    @JsonPropertyDescription("nf4 (blocks of 64) or int4 (groups of 128)")
    @JsonProperty("bnb_4bit_quant_type")
    @JsonAlias("quant_type")
    private String quantType = "nf4";

    @JsonPropertyDescription("with --train_type full: parameter name prefixes to keep frozen")
    @JsonProperty("freeze_parameters")
    private List<String> freezeParameters = new ArrayList<>();

    @JsonPropertyDescription(
            "multimodal models: keep the language model frozen (full), leave it out of all-linear (LoRA)")
    @JsonProperty("freeze_llm")
    private boolean freezeLlm;

    @JsonPropertyDescription(
            "multimodal models: keep the vision tower frozen (full), leave it out of all-linear (LoRA)")
    @JsonProperty("freeze_vit")
    private boolean freezeVit = true;

    @JsonPropertyDescription(
            "multimodal models: keep the aligner (projector) frozen (full), leave it out of all-linear (LoRA)")
    @JsonProperty("freeze_aligner")
    private boolean freezeAligner = true;

    // ---- optimisation
    @JsonProperty("per_device_train_batch_size")
    @JsonAlias("batch_size")
    private int perDeviceTrainBatchSize = 1;

    @JsonProperty("per_device_eval_batch_size")
    private int perDeviceEvalBatchSize = 1;

    @JsonProperty("gradient_accumulation_steps")
    private int gradientAccumulationSteps = 1;

    @JsonProperty("learning_rate")
    @JsonAlias("lr")
    private double learningRate = 1e-4;

    @JsonPropertyDescription("multimodal models: the vision tower's learning rate (default: --learning_rate)")
    @JsonProperty("vit_lr")
    private Double vitLr;

    @JsonPropertyDescription("multimodal models: the aligner's (projector's) learning rate (default: --learning_rate)")
    @JsonProperty("aligner_lr")
    private Double alignerLr;

    @JsonProperty("lr_scheduler_type")
    private String lrSchedulerType = "cosine";

    @JsonProperty("warmup_ratio")
    private double warmupRatio = 0.05;

    @JsonProperty("weight_decay")
    private double weightDecay = 0.1;

    @JsonProperty("max_grad_norm")
    private double maxGradNorm = 1.0;

    @JsonProperty("num_train_epochs")
    @JsonAlias("epochs")
    private double numTrainEpochs = 1;

    @JsonProperty("max_steps")
    private long maxSteps = -1;

    @JsonProperty("seed")
    private long seed = 42;

    @JsonPropertyDescription("recompute each layer in the backward pass: about half the memory for a third more time")
    @JsonProperty("gradient_checkpointing")
    private boolean gradientCheckpointing = true;

    @JsonPropertyDescription("none (one device per process)")
    @JsonProperty("parallel")
    @JsonAlias("parallel_method")
    private String parallel = "none";

    // ---- output
    @JsonProperty("output_dir")
    private Path outputDir = Path.of("output");

    @JsonProperty("logging_steps")
    private int loggingSteps = 5;

    @JsonProperty("eval_steps")
    private int evalSteps;

    @JsonPropertyDescription("at --eval_steps, also run the --eval_dataset benchmarks on the step's checkpoint")
    @JsonProperty("eval_use_evalscope")
    private boolean evalUseEvalscope;

    @JsonPropertyDescription("benchmarks run during training (osprey eval's names: mmlu, gsm8k, ifeval, ...)")
    @JsonProperty("eval_dataset")
    private List<String> evalDataset = new ArrayList<>();

    @JsonPropertyDescription("their --dataset_args, e.g. {\"mmlu\": {\"local_path\": \"DIR\"}}")
    @JsonProperty("eval_dataset_args")
    private String evalDatasetArgs;

    @JsonPropertyDescription("the first N samples of each benchmark subset")
    @JsonProperty("eval_limit")
    private Integer evalLimit;

    @JsonPropertyDescription("generation benchmarks: {\"max_tokens\": 512, \"temperature\": 0}")
    @JsonProperty("eval_generation_config")
    private String evalGenerationConfig;

    @JsonProperty("save_steps")
    private int saveSteps = 500;

    @JsonProperty("save_total_limit")
    private int saveTotalLimit;

    @JsonPropertyDescription("continue a run from one of its checkpoints (same losses as never interrupted)")
    @JsonProperty("resume_from_checkpoint")
    private Path resumeFromCheckpoint;

    @JsonPropertyDescription("also write the base with the adapter merged in, checkpoint-N-merged")
    @JsonProperty("merge_lora")
    private boolean mergeLora;

    private Stage stage = Stage.SFT;

    private static final ObjectMapper JSON = mapper(new ObjectMapper());
    private static final ObjectMapper YAML = mapper(new ObjectMapper(new YAMLFactory()));

    private static ObjectMapper mapper(ObjectMapper m) {
        // a single value where a list is expected (dataset: a.jsonl) reads as a list of one
        return m.enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** ms-swift's defaults. */
    public SftArguments() {}

    /**
     * Arguments from a map of ms-swift names (or aliases) to values, as strings or typed; values not given
     * keep their defaults.
     *
     * @param source named in errors, e.g. the config file or "command line"
     * @throws IllegalArgumentException for an unknown name or a value of the wrong type, naming both
     */
    public static SftArguments fromMap(Map<String, ?> values, String source) {
        try {
            return JSON.convertValue(values, SftArguments.class);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    source + ": " + describe(e.getCause() instanceof JsonMappingException j ? j : null, e));
        }
    }

    /** The values of a job's {@link dev.osprey.api.job.Arguments} by name: one text, or a list when there are several. */
    public static Map<String, Object> valuesOf(Arguments arguments) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (String name : arguments.names()) {
            List<String> list = arguments.getList(name);
            values.put(name, list.size() == 1 ? list.get(0) : list);
        }
        return values;
    }

    /** Arguments from a YAML ({@code .yaml}/{@code .yml}) or JSON config file, as ms-swift's {@code --config}. */
    public static SftArguments fromFile(Path file) throws IOException {
        return fromMap(readConfig(file), file.toString());
    }

    /** The name-to-value map of a YAML or JSON config file, for layering command-line values over it. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> readConfig(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        ObjectMapper reader = name.endsWith(".yaml") || name.endsWith(".yml") ? YAML : JSON;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("config file " + file + " does not exist");
        }
        try {
            Object value = reader.readValue(file.toFile(), Object.class);
            if (!(value instanceof Map)) {
                throw new IllegalArgumentException(
                        file + ": a config file must hold a mapping of argument names to values");
            }
            return (Map<String, Object>) value;
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException(
                    file + ": " + e.getOriginalMessage()
                            + (e.getLocation() != null
                                    ? " (line " + e.getLocation().getLineNr() + ")"
                                    : ""),
                    e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    file + ": " + e.getOriginalMessage()
                            + (e.getLocation() != null
                                    ? " (line " + e.getLocation().getLineNr() + ")"
                                    : ""),
                    e);
        }
    }

    private static String describe(JsonMappingException e, IllegalArgumentException fallback) {
        if (e instanceof UnrecognizedPropertyException u) {
            return "unknown argument '" + u.getPropertyName() + "'" + suggestion(u.getPropertyName());
        }
        if (e != null) {
            String field = e.getPath().isEmpty() ? "" : e.getPath().get(0).getFieldName();
            return "bad value for '" + field + "': " + e.getOriginalMessage();
        }
        return fallback.getMessage();
    }

    /** Suggests the known name closest to a misspelt one. */
    private static String suggestion(String unknown) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (var f : SftArguments.class.getDeclaredFields()) {
            JsonProperty p = f.getAnnotation(JsonProperty.class);
            if (p != null) {
                int d = distance(unknown, p.value());
                if (d < bestDistance) {
                    bestDistance = d;
                    best = p.value();
                }
            }
        }
        return best != null && bestDistance <= 3 ? "; did you mean '" + best + "'?" : "";
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int[] current = new int[b.length() + 1];
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            previous = current;
        }
        return previous[b.length()];
    }

    /**
     * Checks the values and their combinations.
     *
     * @return this
     * @throws IllegalArgumentException naming the argument(s) at fault
     */
    public SftArguments validate() {
        require(model != null && !model.isBlank(), "--model is required");
        require(!dataset.isEmpty(), "--dataset is required");
        require(
                List.of("lora", "full").contains(trainType),
                "--train_type must be lora or full, was '" + trainType + "'");
        require(
                !(trainType.equals("full") && quantBits != 0),
                "--quant_bits " + quantBits
                        + " quantizes frozen base weights, which contradicts --train_type full; use lora (QLoRA)");
        require(!(trainType.equals("full") && useDora), "--use_dora needs --train_type lora");
        require(
                !(trainType.equals("full") && adapters != null),
                "--adapters and --train_type full contradict each other");
        require(
                !(trainType.equals("lora") && !freezeParameters.isEmpty()),
                "--freeze_parameters applies to --train_type full (LoRA already freezes the base model)");
        require(quantBits == 0 || quantBits == 4 || quantBits == 8, "--quant_bits must be 4 or 8, was " + quantBits);
        require(
                List.of("nf4", "int4").contains(quantType),
                "--bnb_4bit_quant_type must be nf4 or int4, was '" + quantType + "'");
        require(loraRank > 0, "--lora_rank must be positive, was " + loraRank);
        require(loraDropout >= 0 && loraDropout < 1, "--lora_dropout must be in [0, 1), was " + loraDropout);
        require(maxLength > 1, "--max_length must be above 1, was " + maxLength);
        require(
                List.of("delete", "left", "right").contains(truncationStrategy),
                "--truncation_strategy must be delete, left or right, was '" + truncationStrategy + "'");
        require(
                List.of("default", RenderOptions.ALL_ASSISTANT, RenderOptions.LAST_ROUND, RenderOptions.ALL)
                        .contains(baseLossScale()),
                "--loss_scale must be default, last_round or all, each optionally with +" + IGNORE_EMPTY_THINK + " (or "
                        + IGNORE_EMPTY_THINK + " alone), was '" + lossScale + "'");
        require(
                perDeviceTrainBatchSize > 0 && perDeviceEvalBatchSize > 0 && gradientAccumulationSteps > 0,
                "--per_device_train_batch_size, --per_device_eval_batch_size and --gradient_accumulation_steps must be positive");
        require(learningRate > 0, "--learning_rate must be positive, was " + learningRate);
        require(vitLr == null || vitLr > 0, "--vit_lr must be positive, was " + vitLr);
        require(alignerLr == null || alignerLr > 0, "--aligner_lr must be positive, was " + alignerLr);
        require(
                List.of("linear", "cosine", "constant", "constant_with_warmup").contains(lrSchedulerType),
                "--lr_scheduler_type must be linear, cosine, constant or constant_with_warmup, was '" + lrSchedulerType
                        + "'");
        require(warmupRatio >= 0 && warmupRatio < 1, "--warmup_ratio must be in [0, 1), was " + warmupRatio);
        require(numTrainEpochs > 0 || maxSteps > 0, "give --num_train_epochs or --max_steps");
        require(
                splitDatasetRatio >= 0 && splitDatasetRatio < 1,
                "--split_dataset_ratio must be in [0, 1), was " + splitDatasetRatio);
        require(
                !(splitDatasetRatio > 0 && !valDataset.isEmpty()),
                "--split_dataset_ratio and --val_dataset contradict each other; give one");
        require(
                !(evalSteps > 0 && splitDatasetRatio == 0 && valDataset.isEmpty() && !evalUseEvalscope),
                "--eval_steps needs a validation set: --val_dataset or --split_dataset_ratio (or benchmarks:"
                        + " --eval_use_evalscope --eval_dataset NAME)");
        require(
                evalUseEvalscope == !evalDataset.isEmpty(),
                "--eval_use_evalscope and --eval_dataset go together: give both or neither");
        require(
                !(streaming && maxSteps <= 0),
                "--streaming needs --max_steps: the length of a stream is not known in advance");
        require(
                !(streaming && splitDatasetRatio > 0),
                "--streaming cannot hold out --split_dataset_ratio; give --val_dataset");
        require(!(streaming && packing), "--packing needs the whole dataset to pack; it contradicts --streaming");
        require(shuffleBufferSize > 0, "--shuffle_buffer_size must be positive, was " + shuffleBufferSize);
        require(
                loggingSteps > 0 && saveSteps >= 0 && saveTotalLimit >= 0 && evalSteps >= 0,
                "--logging_steps must be positive; --save_steps, --save_total_limit and --eval_steps not negative");
        require(!(mergeLora && !trainType.equals("lora")), "--merge_lora needs --train_type lora");
        require(
                parallel.equals("none"),
                "--parallel " + parallel + " is not available: Osprey trains on one device per process"
                        + " (distributed engines such as DeepSpeed or Megatron are launched separately)");
        require(
                resumeFromCheckpoint == null || Files.isDirectory(resumeFromCheckpoint),
                "--resume_from_checkpoint " + resumeFromCheckpoint + " is not a folder");
        TaskType task = TaskType.of(taskType);
        task.validate(this);
        require(
                task == TaskType.CAUSAL_LM || stage == Stage.SFT,
                "--task_type " + taskType + " is a fine-tuning task: run it with osprey sft, not pt");
        require(
                task == TaskType.CAUSAL_LM || !packing,
                "--packing applies to --task_type causal_lm (a head reads one sample's last token)");
        require(torchDtype != null, "--torch_dtype is required");
        // DJL's dtype cast (NDArray.toType) is not recorded by autograd, so half-precision activations cannot
        // feed F32 adapters or an F32 loss; on the CPU, F32 matmuls are also the faster ones (docs/benchmarks.md)
        require(
                !List.of("float16", "fp16", "half").contains(torchDtype.toLowerCase(Locale.ROOT)),
                "--torch_dtype float16 cannot train here: DJL's dtype cast does not carry gradients, and on the CPU float32 "
                        + "is faster; use float32 (bfloat16 checkpoints are widened to it), or --quant_bits 4|8 to save memory");
        return this;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** ms-swift's loss scale that leaves an empty think block ({@code <think>\n\n</think>\n\n}) untrained. */
    public static final String IGNORE_EMPTY_THINK = "ignore_empty_think";

    /** The loss scope the chat template understands. */
    public String lossScope() {
        String base = baseLossScale();
        return base.equals("default") ? RenderOptions.ALL_ASSISTANT : base;
    }

    /**
     * {@code --loss_scale ignore_empty_think} (alone, as {@code default+ignore_empty_think}, or after
     * {@code last_round+} or {@code all+}): the empty think blocks of answers without thinking are not trained on, as
     * ms-swift leaves them out of the loss.
     */
    public boolean ignoreEmptyThink() {
        return lossScale.equals(IGNORE_EMPTY_THINK) || lossScale.endsWith("+" + IGNORE_EMPTY_THINK);
    }

    /** {@code --loss_scale} without its {@code +ignore_empty_think}. */
    private String baseLossScale() {
        if (lossScale.equals(IGNORE_EMPTY_THINK)) {
            return "default";
        }
        return lossScale.endsWith("+" + IGNORE_EMPTY_THINK)
                ? lossScale.substring(0, lossScale.length() - IGNORE_EMPTY_THINK.length() - 1)
                : lossScale;
    }

    // ---- fluent setters (the Java API) and getters

    public SftArguments model(String value) {
        model = value;
        return this;
    }

    public SftArguments modelType(String value) {
        modelType = value;
        return this;
    }

    public SftArguments modelRevision(String value) {
        modelRevision = value;
        return this;
    }

    public SftArguments useHf(boolean value) {
        useHf = value;
        return this;
    }

    public SftArguments torchDtype(String value) {
        torchDtype = value;
        return this;
    }

    public SftArguments agentTemplate(String value) {
        agentTemplate = value;
        return this;
    }

    public SftArguments template(String value) {
        template = value;
        return this;
    }

    public SftArguments device(String value) {
        device = value;
        return this;
    }

    public SftArguments adapters(String value) {
        adapters = value;
        return this;
    }

    public SftArguments taskType(String value) {
        taskType = value;
        return this;
    }

    public SftArguments numLabels(int value) {
        numLabels = value;
        return this;
    }

    public SftArguments problemType(String value) {
        problemType = value;
        return this;
    }

    public SftArguments lossType(String value) {
        lossType = value;
        return this;
    }

    /** {@code --task_type}, parsed. */
    public TaskType task() {
        return TaskType.of(taskType);
    }

    public String taskType() {
        return taskType;
    }

    public int numLabels() {
        return numLabels;
    }

    /** {@code --problem_type}, or null when transformers' choice applies. */
    public String problemType() {
        return problemType;
    }

    /** {@code --loss_type}, or null for the task's default. */
    public String lossType() {
        return lossType;
    }

    public SftArguments dataset(String... values) {
        dataset = new ArrayList<>(List.of(values));
        return this;
    }

    public SftArguments valDataset(String... values) {
        valDataset = new ArrayList<>(List.of(values));
        return this;
    }

    public SftArguments splitDatasetRatio(double value) {
        splitDatasetRatio = value;
        return this;
    }

    public SftArguments columns(Map<String, String> value) {
        columns = new LinkedHashMap<>(value);
        return this;
    }

    /** {@code columns} as a mapping (a config file) or as its JSON text (the command line, a job's {@code Arguments}), as ms-swift takes it. */
    @JsonSetter("columns")
    @SuppressWarnings("unchecked")
    private void columnsFromMapOrJson(Object value) throws IOException {
        if (value instanceof String json) {
            value = json.isBlank() ? Map.of() : JSON.readValue(json, Map.class);
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(
                    "--columns must map column names to ms-swift's, such as '{\"instruction\": \"query\"}'");
        }
        columns = new LinkedHashMap<>();
        map.forEach((k, v) -> columns.put(String.valueOf(k), String.valueOf(v)));
    }

    public SftArguments strict(boolean value) {
        strict = value;
        return this;
    }

    public SftArguments streaming(boolean value) {
        streaming = value;
        return this;
    }

    public SftArguments shuffleBufferSize(int value) {
        shuffleBufferSize = value;
        return this;
    }

    public SftArguments maxLength(int value) {
        maxLength = value;
        return this;
    }

    public SftArguments truncationStrategy(String value) {
        truncationStrategy = value;
        return this;
    }

    public SftArguments packing(boolean value) {
        packing = value;
        return this;
    }

    public SftArguments lossScale(String value) {
        lossScale = value;
        return this;
    }

    public SftArguments trainType(String value) {
        trainType = value;
        return this;
    }

    public SftArguments loraRank(int value) {
        loraRank = value;
        return this;
    }

    public SftArguments loraAlpha(double value) {
        loraAlpha = value;
        return this;
    }

    public SftArguments loraDropout(double value) {
        loraDropout = value;
        return this;
    }

    public SftArguments targetModules(String... values) {
        targetModules = new ArrayList<>(List.of(values));
        return this;
    }

    public SftArguments freezeLlm(boolean value) {
        freezeLlm = value;
        return this;
    }

    public SftArguments freezeVit(boolean value) {
        freezeVit = value;
        return this;
    }

    public SftArguments freezeAligner(boolean value) {
        freezeAligner = value;
        return this;
    }

    public SftArguments useRslora(boolean value) {
        useRslora = value;
        return this;
    }

    public SftArguments useDora(boolean value) {
        useDora = value;
        return this;
    }

    public SftArguments quantBits(int value) {
        quantBits = value;
        return this;
    }

    public SftArguments quantType(String value) {
        quantType = value;
        return this;
    }

    public SftArguments freezeParameters(String... values) {
        freezeParameters = new ArrayList<>(List.of(values));
        return this;
    }

    public SftArguments perDeviceTrainBatchSize(int value) {
        perDeviceTrainBatchSize = value;
        return this;
    }

    public SftArguments perDeviceEvalBatchSize(int value) {
        perDeviceEvalBatchSize = value;
        return this;
    }

    public SftArguments gradientAccumulationSteps(int value) {
        gradientAccumulationSteps = value;
        return this;
    }

    public SftArguments learningRate(double value) {
        learningRate = value;
        return this;
    }

    public SftArguments vitLr(Double value) {
        vitLr = value;
        return this;
    }

    public SftArguments alignerLr(Double value) {
        alignerLr = value;
        return this;
    }

    public SftArguments lrSchedulerType(String value) {
        lrSchedulerType = value;
        return this;
    }

    public SftArguments warmupRatio(double value) {
        warmupRatio = value;
        return this;
    }

    public SftArguments weightDecay(double value) {
        weightDecay = value;
        return this;
    }

    public SftArguments maxGradNorm(double value) {
        maxGradNorm = value;
        return this;
    }

    public SftArguments numTrainEpochs(double value) {
        numTrainEpochs = value;
        return this;
    }

    public SftArguments maxSteps(long value) {
        maxSteps = value;
        return this;
    }

    public SftArguments seed(long value) {
        seed = value;
        return this;
    }

    public SftArguments gradientCheckpointing(boolean value) {
        gradientCheckpointing = value;
        return this;
    }

    public SftArguments parallel(String value) {
        parallel = value;
        return this;
    }

    public SftArguments outputDir(Path value) {
        outputDir = value;
        return this;
    }

    public SftArguments loggingSteps(int value) {
        loggingSteps = value;
        return this;
    }

    public SftArguments evalSteps(int value) {
        evalSteps = value;
        return this;
    }

    public SftArguments saveSteps(int value) {
        saveSteps = value;
        return this;
    }

    public SftArguments saveTotalLimit(int value) {
        saveTotalLimit = value;
        return this;
    }

    public SftArguments resumeFromCheckpoint(Path value) {
        resumeFromCheckpoint = value;
        return this;
    }

    public SftArguments mergeLora(boolean value) {
        mergeLora = value;
        return this;
    }

    public SftArguments stage(Stage value) {
        stage = value;
        return this;
    }

    public String model() {
        return model;
    }

    public String modelType() {
        return modelType;
    }

    public String modelRevision() {
        return modelRevision;
    }

    public boolean useHf() {
        return useHf;
    }

    public String torchDtype() {
        return torchDtype;
    }

    public String agentTemplate() {
        return agentTemplate;
    }

    public String template() {
        return template;
    }

    public String device() {
        return device;
    }

    public String adapters() {
        return adapters;
    }

    public List<String> dataset() {
        return List.copyOf(dataset);
    }

    public List<String> valDataset() {
        return List.copyOf(valDataset);
    }

    public double splitDatasetRatio() {
        return splitDatasetRatio;
    }

    public Map<String, String> columns() {
        return Map.copyOf(columns);
    }

    public boolean strict() {
        return strict;
    }

    public boolean streaming() {
        return streaming;
    }

    public int shuffleBufferSize() {
        return shuffleBufferSize;
    }

    public int maxLength() {
        return maxLength;
    }

    public String truncationStrategy() {
        return truncationStrategy;
    }

    public boolean packing() {
        return packing;
    }

    public String lossScale() {
        return lossScale;
    }

    public boolean evalUseEvalscope() {
        return evalUseEvalscope;
    }

    public List<String> evalDataset() {
        return List.copyOf(evalDataset);
    }

    public String evalDatasetArgs() {
        return evalDatasetArgs;
    }

    public Integer evalLimit() {
        return evalLimit;
    }

    public String evalGenerationConfig() {
        return evalGenerationConfig;
    }

    public String trainType() {
        return trainType;
    }

    public int loraRank() {
        return loraRank;
    }

    public double loraAlpha() {
        return loraAlpha;
    }

    public double loraDropout() {
        return loraDropout;
    }

    public List<String> targetModules() {
        return List.copyOf(targetModules);
    }

    public boolean freezeLlm() {
        return freezeLlm;
    }

    public boolean freezeVit() {
        return freezeVit;
    }

    public boolean freezeAligner() {
        return freezeAligner;
    }

    public boolean useRslora() {
        return useRslora;
    }

    public boolean useDora() {
        return useDora;
    }

    public int quantBits() {
        return quantBits;
    }

    public String quantType() {
        return quantType;
    }

    public List<String> freezeParameters() {
        return List.copyOf(freezeParameters);
    }

    public int perDeviceTrainBatchSize() {
        return perDeviceTrainBatchSize;
    }

    public int perDeviceEvalBatchSize() {
        return perDeviceEvalBatchSize;
    }

    public int gradientAccumulationSteps() {
        return gradientAccumulationSteps;
    }

    public double learningRate() {
        return learningRate;
    }

    /** {@code --vit_lr}, or null for {@code --learning_rate}. */
    public Double vitLr() {
        return vitLr;
    }

    /** {@code --aligner_lr}, or null for {@code --learning_rate}. */
    public Double alignerLr() {
        return alignerLr;
    }

    public String lrSchedulerType() {
        return lrSchedulerType;
    }

    public double warmupRatio() {
        return warmupRatio;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public double maxGradNorm() {
        return maxGradNorm;
    }

    public double numTrainEpochs() {
        return numTrainEpochs;
    }

    public long maxSteps() {
        return maxSteps;
    }

    public long seed() {
        return seed;
    }

    public boolean gradientCheckpointing() {
        return gradientCheckpointing;
    }

    public String parallel() {
        return parallel;
    }

    public Path outputDir() {
        return outputDir;
    }

    public int loggingSteps() {
        return loggingSteps;
    }

    public int evalSteps() {
        return evalSteps;
    }

    public int saveSteps() {
        return saveSteps;
    }

    public int saveTotalLimit() {
        return saveTotalLimit;
    }

    public Path resumeFromCheckpoint() {
        return resumeFromCheckpoint;
    }

    public boolean mergeLora() {
        return mergeLora;
    }

    public Stage stage() {
        return stage;
    }

    /** The arguments as ms-swift names to values, as saved in {@code args.json} beside the checkpoints. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> toMap() {
        Map<String, Object> map = JSON.convertValue(this, Map.class);
        map.put("stage", stage.name().toLowerCase(Locale.ROOT));
        return map;
    }
}

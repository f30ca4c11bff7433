package dev.osprey.cli.impl;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.chat.JinjaChatTemplate;
import dev.osprey.dataset.DatasetOptions;
import dev.osprey.dataset.DatasetReader;
import dev.osprey.dataset.DatasetSpec;
import dev.osprey.dataset.LoadedDatasets;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelSaver;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.train.sft.Checkpoints;
import dev.osprey.train.sft.LoraConfig;
import dev.osprey.train.sft.SftExample;
import dev.osprey.train.sft.SftTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code osprey sft}: supervised fine-tuning with ms-swift's argument names, LoRA or full. Checkpoints
 * every {@code --save_steps} (a PEFT adapter or a Hugging Face folder, with the optimizer and trainer
 * state), written atomically, the newest {@code --save_total_limit} kept; {@code --resume_from_checkpoint}
 * continues with the same losses. A line per logged step and {@code logging.jsonl}. QLoRA, packing,
 * evaluation and plots come with the rest of the training work.
 */
@Command(name = "sft", mixinStandardHelpOptions = true, description = "Supervised fine-tuning (LoRA or full) with ms-swift's arguments.")
public class SftCommand extends ModelCommand implements Callable<Integer> {

    static final String ADAPTER_NAME = "sft";

    @Option(names = {"--dataset", "--train_dataset"}, required = true, split = " ", paramLabel = "PATH[#N]",
            description = "dataset files or folders in ms-swift's formats; PATH#N takes N rows")
    List<String> datasets;

    @Option(names = {"--train_type", "--tuner_type"}, defaultValue = "lora", description = "lora or full (default: ${DEFAULT-VALUE})")
    String trainType;

    @Option(names = "--lora_rank", defaultValue = "8")
    int loraRank;

    @Option(names = "--lora_alpha", defaultValue = "32")
    double loraAlpha;

    @Option(names = "--use_rslora", arity = "1", defaultValue = "false")
    boolean rsLora;

    @Option(names = "--target_modules", split = " ", defaultValue = "all-linear")
    List<String> targetModules;

    @Option(names = "--template", paramLabel = "NAME", description = "a built-in chat template; default: the model's own")
    String template;

    @Option(names = "--max_length", defaultValue = "2048")
    int maxLength;

    @Option(names = "--per_device_train_batch_size", defaultValue = "1")
    int batchSize;

    @Option(names = "--gradient_accumulation_steps", defaultValue = "1")
    int accumulation;

    @Option(names = "--learning_rate", defaultValue = "1e-4")
    double learningRate;

    @Option(names = "--lr_scheduler_type", defaultValue = "cosine")
    String scheduler;

    @Option(names = "--warmup_ratio", defaultValue = "0.05")
    double warmupRatio;

    @Option(names = "--weight_decay", defaultValue = "0.1")
    double weightDecay;

    @Option(names = "--max_grad_norm", defaultValue = "1.0")
    double maxGradNorm;

    @Option(names = "--num_train_epochs", defaultValue = "1")
    int epochs;

    @Option(names = "--max_steps", defaultValue = "-1")
    long maxSteps;

    @Option(names = "--logging_steps", defaultValue = "5")
    int loggingSteps;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--loss_scope", defaultValue = "all_assistant", description = "last_round, all_assistant or all")
    String lossScope;

    @Option(names = "--output_dir", required = true)
    Path outputDir;

    @Option(names = "--save_steps", defaultValue = "500")
    int saveSteps;

    @Option(names = "--save_total_limit", defaultValue = "0", description = "keep the newest N checkpoints; 0 keeps all")
    int saveTotalLimit;

    @Option(names = "--resume_from_checkpoint", paramLabel = "DIR", description = "continue a run from one of its checkpoints")
    Path resumeFrom;

    @Override
    public Integer call() throws Exception {
        if (!trainType.equals("lora") && !trainType.equals("full")) {
            throw new IllegalArgumentException("--train_type must be lora or full, was '" + trainType + "'");
        }
        if (trainType.equals("full") && adapters != null) {
            throw new IllegalArgumentException("--adapters and --train_type full contradict each other");
        }
        if (!List.of(RenderOptions.LAST_ROUND, RenderOptions.ALL_ASSISTANT, RenderOptions.ALL).contains(lossScope)) {
            throw new IllegalArgumentException("--loss_scope must be last_round, all_assistant or all, was '" + lossScope + "'");
        }
        if (loraRank <= 0 || maxLength <= 1) {
            throw new IllegalArgumentException("--lora_rank must be positive and --max_length above 1");
        }
        return withModel();
    }

    /** A resumed run rewrites what the interrupted one logged after its checkpoint. */
    private void keepLogUpTo(ObjectMapper json, long step) throws IOException {
        Path log = outputDir.resolve("logging.jsonl");
        if (Files.isRegularFile(log)) {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(log)) {
                if (!line.isBlank() && json.readTree(line).path("step").asLong() <= step) {
                    kept.add(line);
                }
            }
            Files.write(log, kept);
        }
    }

    /** The tokenizer travels with a fully trained model. */
    private static Map<String, byte[]> tokenizerFile(HfModel model) throws IOException {
        Path tokenizer = model.folder().resolve("tokenizer.json");
        return Files.isRegularFile(tokenizer) ? Map.of("tokenizer.json", Files.readAllBytes(tokenizer)) : Map.of();
    }

    @Override
    Integer run(HfModel model, String adapter, NDManager manager) throws Exception {
        if (!(model.model() instanceof DecoderModel decoder)) {
            throw new IllegalArgumentException("this architecture cannot be trained yet");
        }
        if (model.tokenizer() == null) {
            throw new IllegalArgumentException(model.folder() + " has no tokenizer.json, which supervised training needs");
        }
        LoadedDatasets data = new DatasetReader(DatasetOptions.defaults().withSeed(seed)).load(DatasetSpec.parseAll(datasets));
        List<SftExample> examples;
        ChatEncoder encoder = new ChatEncoder(model.tokenizer());
        if (template != null) {
            try (ExtensionHandle<ChatTemplate> t = platform.extensions.require(ChatTemplate.class, template)) {
                examples = SftExample.encodeAll(data.train(), t.get(), encoder, maxLength, lossScope);
            }
        } else {
            if (model.tokenizerConfig().defaultChatTemplate().isEmpty()) {
                throw new IllegalArgumentException(model.folder() + " has no chat_template in tokenizer_config.json: pass --template");
            }
            examples = SftExample.encodeAll(data.train(), JinjaChatTemplate.from(model.tokenizerConfig()), encoder, maxLength,
                    lossScope);
        }
        Map<String, NDArray> trainable = new LinkedHashMap<>();
        String trainAdapter = null;
        if (trainType.equals("lora")) {
            if (resumeFrom != null) {
                PeftAdapter.attach(resumeFrom, decoder.linears(), ADAPTER_NAME, manager);
            } else {
                new LoraConfig(loraRank, loraAlpha, new LinkedHashSet<>(targetModules), rsLora).attach(decoder.linears(), ADAPTER_NAME,
                        manager, seed);
            }
            trainable.putAll(LoraConfig.trainable(decoder.linears(), ADAPTER_NAME));
            trainAdapter = ADAPTER_NAME;
        } else {
            if (resumeFrom != null) {
                dev.osprey.model.load.ModelLoader.loadWeights(decoder, dev.osprey.checkpoint.WeightFiles.open(resumeFrom), manager,
                        modelOptions.dataType());
            }
            decoder.parameters().forEach((name, array) -> {
                array.setRequiresGradient(true);
                trainable.put(name, array);
            });
        }
        Checkpoints.Resume resume = resumeFrom == null ? null : Checkpoints.load(resumeFrom, manager);
        long parameters = trainable.values().stream().mapToLong(a -> a.getShape().size()).sum();
        out().printf("training %,d parameters (%s) on %d examples%n", parameters, trainType, examples.size());
        Files.createDirectories(outputDir);
        Checkpoints.removeScratch(outputDir);
        SftTrainer.Options options = new SftTrainer.Options(batchSize, accumulation, learningRate, scheduler, warmupRatio,
                weightDecay, maxGradNorm, epochs, maxSteps, seed);
        ObjectMapper json = new ObjectMapper();
        if (resume != null) {
            keepLogUpTo(json, resume.step());
        }
        long start = System.nanoTime();
        List<SftTrainer.StepLog> logs;
        try (Writer log = Files.newBufferedWriter(outputDir.resolve("logging.jsonl"), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, resumeFrom == null ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND)) {
            long[] tokens = {0};
            Checkpoints checkpoints = new Checkpoints(outputDir, saveSteps, saveTotalLimit, trainAdapter != null
                    ? dir -> PeftAdapter.writeFiles(dir, decoder.linears(), ADAPTER_NAME, loraRank, loraAlpha, rsLora, modelOptions.model)
                    : dir -> ModelSaver.writeFiles(decoder, dir, "F32", tokenizerFile(model)));
            logs = SftTrainer.train(decoder, trainAdapter, trainable, examples, 0, options, checkpoints, resume, step -> {
                tokens[0] += step.tokens();
                if (step.step() % loggingSteps == 0 || step.step() == step.totalSteps()) {
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    double eta = elapsed / step.step() * (step.totalSteps() - step.step());
                    Map<String, Object> record = new LinkedHashMap<>();
                    record.put("step", step.step());
                    record.put("total_steps", step.totalSteps());
                    record.put("loss", step.loss());
                    record.put("learning_rate", step.learningRate());
                    record.put("grad_norm", step.gradNorm());
                    record.put("tokens_per_s", tokens[0] / elapsed);
                    record.put("elapsed_s", elapsed);
                    try {
                        log.write(json.writeValueAsString(record) + "\n");
                        log.flush();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    out().printf("step %d/%d  loss %.4f  lr %.2e  grad_norm %.3f  %.0f tokens/s  ETA %ds%n", step.step(),
                            step.totalSteps(), step.loss(), step.learningRate(), step.gradNorm(), tokens[0] / elapsed, Math.round(eta));
                    out().flush();
                }
            });
        }
        Path checkpoint = outputDir.resolve("checkpoint-" + logs.size());
        out().printf("final loss %.4f after %d steps; saved %s%n", logs.get(logs.size() - 1).loss(), logs.size(), checkpoint);
        out().flush();
        return 0;
    }
}

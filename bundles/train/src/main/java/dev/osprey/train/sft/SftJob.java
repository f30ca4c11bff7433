package dev.osprey.train.sft;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.chat.JinjaChatTemplate;
import dev.osprey.dataset.BadRows;
import dev.osprey.dataset.DatasetOptions;
import dev.osprey.dataset.DatasetReader;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.dataset.DatasetSpec;
import dev.osprey.dataset.LoadedDatasets;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelSaver;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.train.report.LossPlot;

/**
 * One pre-training or supervised fine-tuning run, from arguments to checkpoints: reads and encodes the
 * datasets (template, truncation, packing), sets up the tuner (LoRA, DoRA, QLoRA or full with frozen
 * modules), trains with evaluation every {@code --eval_steps}, and writes {@code logging.jsonl},
 * {@code args.json}, the checkpoints, {@code loss.png} and, with {@code --merge_lora}, a merged model.
 * The engine behind {@code osprey sft}, {@code osprey pt} and the Java API.
 */
public final class SftJob {

    /** The name the trained LoRA adapter has on the model while training. */
    public static final String ADAPTER_NAME = "sft";

    /**
     * What a run produced.
     *
     * @param lastCheckpoint the final checkpoint folder
     * @param mergedModel the merged model folder ({@code --merge_lora}), or null
     * @param steps every optimizer step's log
     * @param evalLosses the evaluation loss by step
     * @param plot the loss plot, or null when it could not be drawn
     */
    public record Result(Path lastCheckpoint, Path mergedModel, List<SftTrainer.StepLog> steps, Map<Long, Double> evalLosses,
            Path plot) {

        public double finalLoss() {
            return steps.get(steps.size() - 1).loss();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SftArguments args;
    private final ModelProvider provider;
    private final TrainingListener listener;

    /**
     * @param args validated here, before any work
     * @param provider where the model and named templates come from (not closed by the job)
     */
    public SftJob(SftArguments args, ModelProvider provider, TrainingListener listener) {
        this.args = args.validate();
        this.provider = provider;
        this.listener = listener == null ? new TrainingListener() { } : listener;
    }

    public SftJob(SftArguments args, ModelProvider provider) {
        this(args, provider, null);
    }

    /** Runs the whole job on {@code manager}'s device; everything it allocates is freed at the end. */
    public Result train(NDManager parentManager) throws IOException {
        try (NDManager manager = parentManager.newSubManager(); HfModel model = provider.load(args, manager)) {
            if (!(model.model() instanceof DecoderModel decoder)) {
                throw new IllegalArgumentException(model.folder() + ": this architecture cannot be trained yet");
            }
            if (model.tokenizer() == null) {
                throw new IllegalArgumentException(model.folder() + " has no tokenizer.json, which training on text needs");
            }
            Datasets data = encode(model);
            Map<String, NDArray> trainable = Tuner.setUp(decoder, args, ADAPTER_NAME, manager, listener);
            long parameters = trainable.values().stream().mapToLong(a -> a.getShape().size()).sum();
            long total = decoder.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum();
            listener.message(String.format("training %,d of %,d parameters (%s%s) on %s%s", parameters, total, args.trainType(),
                    args.quantBits() > 0 ? ", base " + args.quantBits() + "-bit" : "", data.stream != null
                            ? "the stream of " + args.dataset() + " (--streaming)" : data.train.size() + " sequences",
                    data.validation.isEmpty() ? "" : ", validating on " + data.validation.size()));
            try {
                return run(model, decoder, trainable, data, manager);
            } finally {
                if (data.stream() != null) {
                    data.stream().close();
                }
            }
        }
    }

    /**
     * The training examples (all of them, or a stream), the validation set, and the bad rows skipped so far
     * (a stream finds more as it goes).
     */
    private record Datasets(List<SftExample> train, StreamingExamples stream, List<SftExample> validation, BadRows badRows) {
    }

    private Datasets encode(HfModel model) throws IOException {
        DatasetOptions options = DatasetOptions.defaults().withSeed(args.seed()).withColumns(args.columns())
                .withSkipBadRows(!args.strict()).withSplitDatasetRatio(args.splitDatasetRatio());
        BadRows badRows = BadRows.of(options); // one tally for reading and encoding, training and validation
        DatasetReader reader = new DatasetReader(options, badRows);
        LoadedDatasets loaded = args.streaming() ? null : reader.load(DatasetSpec.parseAll(args.dataset()));
        List<DatasetRow> validationRows = new ArrayList<>(loaded == null ? List.of() : loaded.validation());
        if (!args.valDataset().isEmpty()) {
            validationRows.addAll(new DatasetReader(options.withSplitDatasetRatio(0), badRows).load(DatasetSpec.parseAll(args.valDataset()))
                    .train());
        }
        ChatEncoder encoder = new ChatEncoder(model.tokenizer());
        SftExample.Truncation truncation = SftExample.Truncation.of(args.truncationStrategy());
        java.util.function.Function<DatasetRow, Optional<SftExample>> encode;
        if (args.stage() == SftArguments.Stage.PT) {
            int[] bos = model.tokenizerConfig().addBosToken().orElse(false) && model.tokenizerConfig().bosToken().isPresent()
                    ? encoder.tokenize(model.tokenizerConfig().bosToken().get()) : new int[0];
            int eos = model.generationConfig().eosTokenIds().stream().findFirst()
                    .or(() -> model.tokenizerConfig().eosToken().map(t -> encoder.tokenize(t)[0])).orElse(-1);
            encode = row -> SftExample.encodeText(row, encoder, bos, eos, args.maxLength(), truncation);
        } else {
            ChatTemplate template = chatTemplate(model, args.template(), provider);
            encode = row -> SftExample.encode(row, template, encoder, args.maxLength(), args.lossScope(), truncation);
        }
        encode = badRows.skipping(encode); // a row with nothing to train on is a bad row too
        List<SftExample> validation = encodeAll(validationRows, encode, badRows, "validation");
        if (args.streaming()) {
            return new Datasets(List.of(), new StreamingExamples(DatasetSpec.parseAll(args.dataset()), reader, encode,
                    args.shuffleBufferSize(), args.seed()), validation, badRows);
        }
        List<SftExample> train = encodeAll(loaded.train(), encode, badRows, "training");
        if (badRows.count() > 0) {
            listener.message(badRows.summary());
        }
        if (args.packing()) {
            int before = train.size();
            train = Packing.pack(train, args.maxLength());
            validation = Packing.pack(validation, args.maxLength());
            listener.message("packed " + before + " samples into " + train.size() + " sequences of at most " + args.maxLength() + " tokens");
        }
        return new Datasets(train, null, validation, badRows);
    }

    private List<SftExample> encodeAll(List<DatasetRow> rows, java.util.function.Function<DatasetRow, Optional<SftExample>> encode,
            BadRows badRows, String what) {
        List<SftExample> out = new ArrayList<>();
        long badBefore = badRows.count();
        for (DatasetRow row : rows) {
            encode.apply(row).ifPresent(out::add);
        }
        long bad = badRows.count() - badBefore;
        long tooLong = rows.size() - out.size() - bad;
        if (tooLong > 0) {
            listener.message("dropped " + tooLong + " of " + rows.size() + " " + what
                    + " rows longer than --max_length " + args.maxLength() + " (--truncation_strategy delete)");
        }
        if (out.isEmpty() && what.equals("training")) {
            if (badRows.count() > 0) {
                throw new IllegalArgumentException("no training rows left in " + args.dataset() + ": " + badRows.summary()
                        + (tooLong > 0 ? "; and " + tooLong + " longer than --max_length " + args.maxLength() : ""));
            }
            throw new IllegalArgumentException("no training rows left: every row of " + args.dataset() + " is longer than --max_length "
                    + args.maxLength() + "; raise it or use --truncation_strategy left|right");
        }
        return out;
    }

    /**
     * The chat template of a run: the plugin named by {@code --template}, else the model's own
     * {@code chat_template}; a model without one is an error that says to pass {@code --template}.
     */
    public static ChatTemplate chatTemplate(HfModel model, String templateName, ModelProvider provider) {
        if (templateName != null) {
            return provider.template(templateName);
        }
        if (model.tokenizerConfig().defaultChatTemplate().isEmpty()) {
            throw new IllegalArgumentException(model.folder() + " has no chat_template in tokenizer_config.json: pass --template");
        }
        return JinjaChatTemplate.from(model.tokenizerConfig());
    }

    private Result run(HfModel model, DecoderModel decoder, Map<String, NDArray> trainable, Datasets data, NDManager manager)
            throws IOException {
        Path out = args.outputDir();
        Files.createDirectories(out);
        Checkpoints.removeScratch(out);
        Files.writeString(out.resolve("args.json"), JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(args.toMap()));
        Checkpoints.Resume resume = args.resumeFromCheckpoint() == null ? null : Checkpoints.load(args.resumeFromCheckpoint(), manager);
        Path log = out.resolve("logging.jsonl");
        Map<Long, Double> evalLosses = new LinkedHashMap<>();
        if (resume != null) {
            evalLosses.putAll(keepLogUpTo(log, resume.step()));
        }
        String adapter = args.trainType().equals("lora") ? ADAPTER_NAME : null;
        Checkpoints checkpoints = new Checkpoints(out, args.saveSteps(), args.saveTotalLimit(), adapter != null
                ? dir -> PeftAdapter.writeFiles(dir, decoder.linears(), ADAPTER_NAME, args.loraRank(), args.loraAlpha(), args.useRslora(),
                        args.model())
                : dir -> ModelSaver.writeFiles(decoder, dir, "F32", tokenizerFiles(model)));
        SftTrainer.Options options = new SftTrainer.Options(args.perDeviceTrainBatchSize(), args.gradientAccumulationSteps(),
                args.learningRate(), args.lrSchedulerType(), args.warmupRatio(), args.weightDecay(), args.maxGradNorm(),
                args.numTrainEpochs(), args.maxSteps(), args.seed(), args.gradientCheckpointing());
        long start = System.nanoTime();
        long[] tokens = {0};
        List<SftTrainer.StepLog> steps;
        try (Writer writer = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                resume == null ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND)) {
            ExampleSource source = data.stream != null ? data.stream : ExampleSource.shuffledEpochs(data.train, args.seed());
            long totalSteps = data.stream != null ? args.maxSteps() : SftTrainer.totalSteps(data.train.size(), options);
            steps = SftTrainer.train(decoder, adapter, trainable, source, totalSteps, 0, options, checkpoints, resume, step -> {
                tokens[0] += step.tokens();
                double elapsed = (System.nanoTime() - start) / 1e9;
                Map<String, Object> record = new LinkedHashMap<>();
                boolean logged = step.step() % args.loggingSteps() == 0 || step.step() == step.totalSteps();
                if (logged) {
                    record.put("step", step.step());
                    record.put("total_steps", step.totalSteps());
                    record.put("loss", step.loss());
                    record.put("learning_rate", step.learningRate());
                    record.put("grad_norm", step.gradNorm());
                    record.put("tokens_per_s", tokens[0] / elapsed);
                    record.put("elapsed_s", elapsed);
                }
                listener.step(step, elapsed, tokens[0] / elapsed);
                boolean evaluate = !data.validation.isEmpty()
                        && ((args.evalSteps() > 0 && step.step() % args.evalSteps() == 0) || step.step() == step.totalSteps());
                if (evaluate) {
                    double loss = SftTrainer.evaluate(decoder, adapter, data.validation, args.perDeviceEvalBatchSize(), 0);
                    evalLosses.put(step.step(), loss);
                    record.put("step", step.step());
                    record.put("eval_loss", loss);
                    listener.evaluated(step.step(), loss);
                }
                if (!record.isEmpty()) {
                    try {
                        writer.write(JSON.writeValueAsString(record) + "\n");
                        writer.flush();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }, listener::cancelled);
        }
        Path last = out.resolve("checkpoint-" + steps.size());
        Path plot = LossPlot.write(out.resolve("loss.png"), steps, evalLosses).orElse(null);
        Path merged = null;
        if (args.mergeLora() && !listener.cancelled()) { // a cancelled run keeps its checkpoint, unmerged
            merged = out.resolve("checkpoint-" + steps.size() + "-merged");
            if (args.quantBits() > 0) {
                // QLoRA: merge into the base at its original precision, not into the quantized copy
                try (NDManager fresh = manager.newSubManager(); HfModel base = provider.load(denseCopyOf(args), fresh)) {
                    DecoderModel dense = (DecoderModel) base.model();
                    PeftAdapter.attach(last, dense.linears(), ADAPTER_NAME, fresh);
                    mergeInto(base, dense, merged);
                }
            } else {
                mergeInto(model, decoder, merged);
            }
        }
        if (data.stream() != null && data.badRows().count() > 0) { // a stream meets its bad rows while training
            listener.message(data.badRows().summary());
        }
        listener.message(String.format("final loss %.4f after %d steps%s; saved %s%s%s", steps.get(steps.size() - 1).loss(), steps.size(),
                evalLosses.isEmpty() ? "" : String.format(", eval loss %.4f", evalLosses.values().stream().reduce((a, b) -> b).get()),
                last, plot == null ? "" : ", plot " + plot, merged == null ? "" : ", merged model " + merged));
        return new Result(last, merged, steps, evalLosses, plot);
    }

    /** The same arguments without quantization: the base to merge a QLoRA adapter into. */
    private static SftArguments denseCopyOf(SftArguments args) {
        java.util.Map<String, Object> map = new java.util.LinkedHashMap<>(args.toMap());
        map.remove("stage");
        map.put("quant_bits", 0);
        return SftArguments.fromMap(map, "the merge").stage(args.stage());
    }

    /** Merges the trained adapter into the weights and saves a Hugging Face folder with the tokenizer files. */
    private static void mergeInto(HfModel model, DecoderModel decoder, Path folder) throws IOException {
        decoder.linears().forEach(l -> {
            if (l.adapter(ADAPTER_NAME) != null) {
                l.merge(ADAPTER_NAME);
            }
        });
        ModelSaver.save(decoder, folder, "F32", tokenizerFiles(model));
    }

    /** The tokenizer and generation files travel with a full or merged model, so it loads and chats as the base did. */
    public static Map<String, byte[]> tokenizerFiles(HfModel model) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json",
                "chat_template.jinja")) {
            Path file = model.folder().resolve(name);
            if (Files.isRegularFile(file)) {
                files.put(name, Files.readAllBytes(file));
            }
        }
        return files;
    }

    /** A resumed run rewrites what the interrupted one logged after its checkpoint; returns the eval losses kept. */
    private static Map<Long, Double> keepLogUpTo(Path log, long step) throws IOException {
        Map<Long, Double> evalLosses = new LinkedHashMap<>();
        if (Files.isRegularFile(log)) {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(log)) {
                if (line.isBlank()) {
                    continue;
                }
                var node = JSON.readTree(line);
                if (node.path("step").asLong() <= step) {
                    kept.add(line);
                    if (node.has("eval_loss")) {
                        evalLosses.put(node.path("step").asLong(), node.path("eval_loss").asDouble());
                    }
                }
            }
            Files.write(log, kept);
        }
        return evalLosses;
    }
}

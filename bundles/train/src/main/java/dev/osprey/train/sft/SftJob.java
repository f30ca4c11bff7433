package dev.osprey.train.sft;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.chat.ChatPromptEncoder;
import dev.osprey.dataset.BadRows;
import dev.osprey.dataset.DatasetOptions;
import dev.osprey.dataset.DatasetReader;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.dataset.DatasetSpec;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.train.loop.StepLog;
import dev.osprey.train.loop.Trainer;
import dev.osprey.train.loop.TrainerOptions;
import dev.osprey.train.loop.TrainingListener;
import dev.osprey.train.task.TaskJob;

/**
 * One pre-training or supervised fine-tuning run, from arguments to checkpoints: reads and encodes the
 * datasets (template, truncation, packing), sets up the tuner (LoRA, DoRA, QLoRA or full with frozen
 * modules), trains with evaluation every {@code --eval_steps}, and writes {@code logging.jsonl},
 * {@code args.json}, the checkpoints, {@code loss.png} and, with {@code --merge_lora}, a merged model.
 * The engine behind {@code osprey sft}, {@code osprey pt} and the Java API.
 */
public final class SftJob {

    /** The name the trained LoRA adapter has on the model while training. */
    public static final String ADAPTER_NAME = TrainingRuns.ADAPTER_NAME;

    /**
     * What a run produced.
     *
     * @param lastCheckpoint the final checkpoint folder
     * @param mergedModel the merged model folder ({@code --merge_lora}), or null
     * @param steps every optimizer step's log
     * @param evalLosses the evaluation loss by step
     * @param plot the loss plot, or null when it could not be drawn
     */
    public record Result(
            Path lastCheckpoint, Path mergedModel, List<StepLog> steps, Map<Long, Double> evalLosses, Path plot) {

        public double finalLoss() {
            return steps.get(steps.size() - 1).loss();
        }
    }

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
        this.listener = listener == null ? new TrainingListener() {} : listener;
    }

    public SftJob(SftArguments args, ModelProvider provider) {
        this(args, provider, null);
    }

    /** Runs the whole job on {@code manager}'s device; everything it allocates is freed at the end. */
    public Result train(NDManager parentManager) throws IOException {
        if (args.task() != TaskType.CAUSAL_LM) {
            return new TaskJob(args, provider, listener).train(parentManager);
        }
        try (NDManager manager = parentManager.newSubManager();
                HfModel model = provider.load(args, manager)) {
            LanguageModel trained = TrainingRuns.trainable(model);
            Datasets data = encode(model);
            Map<String, NDArray> trainable = Tuner.setUp(trained, args, ADAPTER_NAME, manager, listener);
            long parameters = trainable.values().stream()
                    .mapToLong(a -> a.getShape().size())
                    .sum();
            long total = trained.parameters().values().stream()
                    .mapToLong(a -> a.getShape().size())
                    .sum();
            listener.message(String.format(
                    "training %,d of %,d parameters (%s%s) on %s%s",
                    parameters,
                    total,
                    args.trainType(),
                    args.quantBits() > 0 ? ", base " + args.quantBits() + "-bit" : "",
                    data.stream != null
                            ? "the stream of " + args.dataset() + " (--streaming)"
                            : data.train.size() + " sequences",
                    data.validation.isEmpty() ? "" : ", validating on " + data.validation.size()));
            try {
                return run(model, trained, trainable, data, manager);
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
    private record Datasets(
            List<SftExample> train, StreamingExamples stream, List<SftExample> validation, BadRows badRows) {}

    private Datasets encode(HfModel model) throws IOException {
        DatasetOptions options = DatasetOptions.defaults()
                .withSeed(args.seed())
                .withColumns(args.columns())
                .withSkipBadRows(!args.strict());
        BadRows badRows = BadRows.of(options); // one tally for reading and encoding, training and validation
        DatasetReader reader = new DatasetReader(options, badRows);
        TrainingRuns.Rows rows = TrainingRuns.rows(args, options, badRows);
        ChatEncoder encoder = new ChatEncoder(model.tokenizer());
        SftExample.Truncation truncation = SftExample.Truncation.of(args.truncationStrategy());
        Function<DatasetRow, Optional<SftExample>> encode;
        if (args.stage() == SftArguments.Stage.PT) {
            int[] bos = model.tokenizerConfig().addBosToken().orElse(false)
                            && model.tokenizerConfig().bosToken().isPresent()
                    ? encoder.tokenize(model.tokenizerConfig().bosToken().get())
                    : new int[0];
            int eos = model.generationConfig().eosTokenIds().stream()
                    .findFirst()
                    .or(() -> model.tokenizerConfig().eosToken().map(t -> encoder.tokenize(t)[0]))
                    .orElse(-1);
            encode = row -> SftExample.encodeText(row, encoder, bos, eos, args.maxLength(), truncation);
        } else {
            PromptEncoder prompts = ChatPromptEncoder.withAgentTemplate(provider.prompts(model), args.agentTemplate());
            MediaProcessor media = provider.media(model);
            Function<DatasetRow, Optional<SftExample>> templated =
                    row -> SftExample.encode(row, prompts, media, args.maxLength(), args.lossScope(), truncation);
            // --loss_scale ...+ignore_empty_think: the empty think block of an answer without thinking is not trained
            int[] emptyThink = args.ignoreEmptyThink() ? encoder.tokenize(SftExample.EMPTY_THINK) : null;
            encode =
                    emptyThink == null ? templated : row -> templated.apply(row).map(e -> e.untraining(emptyThink));
        }
        encode = badRows.skipping(encode); // a row with nothing to train on is a bad row too
        List<SftExample> validation = encodeAll(rows.validation(), encode, badRows, "validation");
        if (args.streaming()) {
            return new Datasets(
                    List.of(),
                    new StreamingExamples(
                            DatasetSpec.parseAll(args.dataset()),
                            reader,
                            encode,
                            args.shuffleBufferSize(),
                            args.seed()),
                    validation,
                    badRows);
        }
        List<SftExample> train = encodeAll(rows.train(), encode, badRows, "training");
        if (badRows.count() > 0) {
            listener.message(badRows.summary());
        }
        if (args.packing()) {
            int before = train.size();
            train = Packing.pack(train, args.maxLength());
            validation = Packing.pack(validation, args.maxLength());
            listener.message("packed " + before + " samples into " + train.size() + " sequences of at most "
                    + args.maxLength() + " tokens");
        }
        return new Datasets(train, null, validation, badRows);
    }

    private List<SftExample> encodeAll(
            List<DatasetRow> rows, Function<DatasetRow, Optional<SftExample>> encode, BadRows badRows, String what) {
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
                throw new IllegalArgumentException("no training rows left in " + args.dataset() + ": "
                        + badRows.summary()
                        + (tooLong > 0 ? "; and " + tooLong + " longer than --max_length " + args.maxLength() : ""));
            }
            throw new IllegalArgumentException(
                    "no training rows left: every row of " + args.dataset() + " is longer than --max_length "
                            + args.maxLength() + "; raise it or use --truncation_strategy left|right");
        }
        return out;
    }

    private Result run(
            HfModel model, LanguageModel trained, Map<String, NDArray> trainable, Datasets data, NDManager manager)
            throws IOException {
        String adapter = TrainingRuns.adapter(args);
        TrainerOptions options = TrainingRuns.options(args, trained, trainable);
        Trainer trainer = new Trainer(
                options, TrainingRuns.folder(args, args.toMap(), TrainingRuns.weights(args, model, trained)), listener);
        boolean checkpointing = args.gradientCheckpointing();
        if (checkpointing && !(trained instanceof DecoderModel)) {
            // on by default (as in ms-swift): another model trains keeping every layer's graph, and says so
            listener.message(TrainingRuns.notADecoder(trained, "--gradient_checkpointing") + "; training without it");
            checkpointing = false;
        }
        CausalLmObjective objective = new CausalLmObjective(trained, adapter, 0, checkpointing);
        Trainer.Result result = data.stream != null
                ? trainer.train(objective, data.stream, args.maxSteps(), data.validation, trainable)
                : trainer.train(objective, data.train, data.validation, trainable);
        Path merged = null;
        if (args.mergeLora() && !listener.cancelled()) { // a cancelled run keeps its checkpoint, unmerged
            merged = TrainingRuns.mergeLora(args, provider, model, result.lastCheckpoint(), manager);
        }
        if (data.stream() != null && data.badRows().count() > 0) { // a stream meets its bad rows while training
            listener.message(data.badRows().summary());
        }
        listener.message(TrainingRuns.summary(result, merged));
        return new Result(
                result.lastCheckpoint(), merged, result.steps(), result.evalMetric("eval_loss"), result.plot());
    }
}

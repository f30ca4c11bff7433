package dev.osprey.train.task;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.dataset.BadRows;
import dev.osprey.dataset.DatasetException;
import dev.osprey.dataset.DatasetOptions;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.Folders;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.ModelSaver;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.nn.Pooling;
import dev.osprey.model.task.Embedder;
import dev.osprey.model.task.GenerativeReranker;
import dev.osprey.model.task.RerankInput;
import dev.osprey.model.task.SequenceClassifier;
import dev.osprey.train.loop.Objective;
import dev.osprey.train.loop.Trainer;
import dev.osprey.train.loop.TrainingListener;
import dev.osprey.train.sft.ModelProvider;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.SftJob;
import dev.osprey.train.sft.TaskType;
import dev.osprey.train.sft.TrainingRuns;
import dev.osprey.train.sft.Tuner;

/**
 * A fine-tuning run of a task beyond causal LM ({@code --task_type seq_cls}, {@code embedding}, {@code reranker},
 * {@code generative_reranker}): the same rows,
 * tuners, Trainer, checkpoints and resume as {@code osprey sft}, with the task's head, examples and objective.
 */
public final class TaskJob {

    private final SftArguments args;
    private final ModelProvider provider;
    private final TrainingListener listener;

    /** @param args validated, with a task other than causal LM */
    public TaskJob(SftArguments args, ModelProvider provider, TrainingListener listener) {
        this.args = args;
        this.provider = provider;
        this.listener = listener;
    }

    public SftJob.Result train(NDManager parentManager) throws IOException {
        TaskType task = args.task();
        try (NDManager manager = parentManager.newSubManager();
                HfModel model = provider.load(args, manager)) {
            DecoderModel decoder = TrainingRuns.decoder(model, "--task_type " + task.argument());
            DatasetOptions options = DatasetOptions.defaults()
                    .withSeed(args.seed())
                    .withColumns(args.columns())
                    .withSkipBadRows(!args.strict());
            BadRows badRows = BadRows.of(options);
            TrainingRuns.Rows rows = TrainingRuns.rows(args, options, badRows);
            if (rows.train().isEmpty()) {
                throw new IllegalArgumentException("no training rows in " + args.dataset());
            }
            Map<String, NDArray> trainable = Tuner.setUp(decoder, args, TrainingRuns.ADAPTER_NAME, manager, listener);
            trainable.remove("lm_head.weight"); // unused by a head or pooling; kept as it was
            String adapter = TrainingRuns.adapter(args);
            int padId = model.config().getInt(0, "pad_token_id");
            Run<?> run = switch (task) {
                case SEQ_CLS -> classification(model, decoder, adapter, rows, badRows, padId);
                case EMBEDDING -> embedding(model, decoder, adapter, rows, badRows, padId);
                case RERANKER, GENERATIVE_RERANKER -> reranker(model, decoder, adapter, rows, badRows, padId);
                default ->
                    throw new IllegalArgumentException("--task_type " + task.argument() + " is not trained here");
            };
            if (badRows.count() > 0) {
                listener.message(badRows.summary());
            }
            if (run.train().isEmpty()) {
                throw new IllegalArgumentException("no training rows left in " + args.dataset()
                        + (badRows.count() > 0
                                ? ": " + badRows.summary()
                                : " within --max_length " + args.maxLength()));
            }
            run.head().forEach((name, head) -> {
                head.setRequiresGradient(true);
                trainable.put(name, head);
            });
            listener.message(String.format(
                    "%s: training %,d parameters (%s) on %d rows%s",
                    run.description(),
                    trainable.values().stream()
                            .mapToLong(a -> a.getShape().size())
                            .sum(),
                    args.trainType(),
                    run.train().size(),
                    run.validation().isEmpty()
                            ? ""
                            : ", validating on " + run.validation().size()));
            Trainer trainer = new Trainer(
                    TrainingRuns.options(args, decoder, trainable),
                    TrainingRuns.folder(args, args.toMap(), run.checkpoint()),
                    listener);
            Trainer.Result result = run.train(trainer, trainable);
            Path merged = null;
            if (args.mergeLora() && !listener.cancelled()) {
                Path last = result.lastCheckpoint();
                merged = last.resolveSibling(last.getFileName() + "-merged");
                Folders.writeAtomically(merged, run.merged());
            }
            listener.message(TrainingRuns.summary(result, merged));
            return new SftJob.Result(
                    result.lastCheckpoint(), merged, result.steps(), result.evalMetric("eval_loss"), result.plot());
        }
    }

    /**
     * What a task brings to the common run: its examples, the head it trains beside the decoder, its objective,
     * what a checkpoint holds and what {@code --merge_lora} writes.
     */
    private record Run<T>(
            String description,
            List<T> train,
            List<T> validation,
            Map<String, NDArray> head,
            Objective<T> objective,
            Folders.Writer checkpoint,
            Folders.Writer merged) {

        Trainer.Result train(Trainer trainer, Map<String, NDArray> trainable) throws IOException {
            return trainer.train(objective, train, validation, trainable);
        }
    }

    private Run<ClassificationExample> classification(
            HfModel model, DecoderModel decoder, String adapter, TrainingRuns.Rows rows, BadRows badRows, int padId)
            throws IOException {
        String problemType = args.problemType() != null
                ? args.problemType()
                : ClassificationExample.problemType(rows.train().get(0), args.numLabels());
        PromptEncoder prompts = provider.prompts(model);
        boolean left = args.truncationStrategy().equals("left");
        Function<DatasetRow, Optional<ClassificationExample>> encode = badRows.skipping(row ->
                ClassificationExample.encode(row, prompts, args.maxLength(), left, problemType, args.numLabels()));
        Path resume = args.resumeFromCheckpoint();
        SequenceClassifier classifier = resume == null
                ? SequenceClassifier.init(decoder, args.numLabels(), adapter, args.seed())
                : SequenceClassifier.load(decoder, resume, adapter);
        if (classifier.numLabels() != args.numLabels()) {
            throw new IllegalArgumentException("--resume_from_checkpoint " + resume + " has a head of "
                    + classifier.numLabels() + " labels but --num_labels is " + args.numLabels());
        }
        Map<String, byte[]> tokenizerFiles = LoraMerge.tokenizerFiles(model.folder());
        Folders.Writer full = dir -> classifier.writeModel(dir, model.config().asMap(), problemType, tokenizerFiles);
        return new Run<>(
                String.format("seq_cls (%s, %d labels)", problemType, args.numLabels()),
                encodeAll(rows.train(), encode),
                encodeAll(rows.validation(), encode),
                Map.of(SequenceClassifier.SCORE, classifier.head()),
                new ClassificationObjective(classifier, problemType, padId),
                adapter != null
                        ? dir -> classifier.writeAdapter(
                                dir, args.loraRank(), args.loraAlpha(), args.useRslora(), args.model())
                        : full,
                full);
    }

    private Run<EncodedGroup> embedding(
            HfModel model, DecoderModel decoder, String adapter, TrainingRuns.Rows rows, BadRows badRows, int padId)
            throws IOException {
        String lossType = args.task().lossType(args);
        boolean cosine = lossType.equals("cosine_similarity");
        Function<DatasetRow, Optional<EncodedGroup>> encode = badRows.skipping(row -> {
            PairExample pair = PairExample.of(row);
            if (cosine && Float.isNaN(pair.label())) {
                throw new DatasetException(
                        row.source(), "--loss_type cosine_similarity needs a 'label' (the target cosine)");
            }
            return Optional.of(pair.encode(text -> Embedder.tokenize(model.tokenizer(), text), args.maxLength()));
        });
        Embedder embedder = new Embedder(decoder, Pooling.LAST, adapter);
        double temperature = EmbeddingLoss.temperature();
        Map<String, byte[]> tokenizerFiles = LoraMerge.tokenizerFiles(model.folder());
        Folders.Writer full = dir -> ModelSaver.writeFiles(decoder, dir, "F32", tokenizerFiles);
        return new Run<>(
                "embedding (" + lossType + (cosine ? "" : ", temperature " + temperature) + ", last-token pooling)",
                encodeAll(rows.train(), encode),
                encodeAll(rows.validation(), encode),
                Map.of(),
                new EmbeddingObjective(embedder, lossType, temperature, padId),
                adapter != null
                        ? dir -> PeftAdapter.writeFiles(
                                dir,
                                decoder.linears(),
                                adapter,
                                args.loraRank(),
                                args.loraAlpha(),
                                args.useRslora(),
                                args.model(),
                                "FEATURE_EXTRACTION",
                                Map.of())
                        : full,
                dir -> {
                    LoraMerge.merge(decoder, adapter); // the trained adapter into the weights, for the merged folder
                    full.write(dir);
                });
    }

    private Run<EncodedGroup> reranker(
            HfModel model, DecoderModel decoder, String adapter, TrainingRuns.Rows rows, BadRows badRows, int padId)
            throws IOException {
        boolean generative = args.task() == TaskType.GENERATIVE_RERANKER;
        String lossType = args.task().lossType(args);
        boolean listwise = lossType.startsWith("listwise");
        Function<DatasetRow, Optional<EncodedGroup>> encode = badRows.skipping(row -> {
            PairExample pair = PairExample.of(row);
            if (listwise && pair.negatives().isEmpty()) {
                throw new DatasetException(
                        row.source(),
                        "--loss_type " + lossType + " ranks the positive among hard"
                                + " negatives: give rejected_response (or negative_messages)");
            }
            List<int[]> pairs = new ArrayList<>();
            for (String positive : pair.positives()) {
                pairs.add(cut(RerankInput.ids(model.tokenizer(), generative, null, pair.anchor(), positive)));
            }
            for (String negative : pair.negatives()) {
                pairs.add(cut(RerankInput.ids(model.tokenizer(), generative, null, pair.anchor(), negative)));
            }
            return Optional.of(new EncodedGroup(pairs, pair.positives().size(), pair.label(), row.source()));
        });
        Map<String, byte[]> tokenizerFiles = LoraMerge.tokenizerFiles(model.folder());
        double temperature = listwise ? RerankerObjective.temperature() : 1;
        String description = args.task().argument() + " (" + lossType + ")";
        if (generative) {
            GenerativeReranker reranker = new GenerativeReranker(
                    decoder,
                    RerankInput.singleToken(model.tokenizer(), GenerativeReranker.positiveToken(), model.folder()),
                    RerankInput.singleToken(model.tokenizer(), GenerativeReranker.negativeToken(), model.folder()),
                    adapter);
            Folders.Writer full = dir -> ModelSaver.writeFiles(decoder, dir, "F32", tokenizerFiles);
            return new Run<>(
                    description,
                    encodeAll(rows.train(), encode),
                    encodeAll(rows.validation(), encode),
                    Map.of(),
                    new RerankerObjective(decoder, reranker::scores, listwise, temperature, padId),
                    adapter != null ? TrainingRuns.weights(args, model, decoder) : full,
                    dir -> {
                        LoraMerge.merge(decoder, adapter);
                        full.write(dir);
                    });
        }
        Path resume = args.resumeFromCheckpoint();
        SequenceClassifier classifier = resume == null
                ? SequenceClassifier.init(decoder, 1, adapter, args.seed())
                : SequenceClassifier.load(decoder, resume, adapter);
        Folders.Writer full = dir -> classifier.writeModel(dir, model.config().asMap(), null, tokenizerFiles);
        return new Run<>(
                description,
                encodeAll(rows.train(), encode),
                encodeAll(rows.validation(), encode),
                Map.of(SequenceClassifier.SCORE, classifier.head()),
                new RerankerObjective(
                        decoder,
                        (ids, mask, training) ->
                                classifier.logits(ids, mask, training).squeeze(1),
                        listwise,
                        temperature,
                        padId),
                adapter != null
                        ? dir -> classifier.writeAdapter(
                                dir, args.loraRank(), args.loraAlpha(), args.useRslora(), args.model())
                        : full,
                full);
    }

    private int[] cut(int[] ids) {
        return ids.length <= args.maxLength()
                ? ids
                : Arrays.copyOfRange(ids, ids.length - args.maxLength(), ids.length);
    }

    private static <T> List<T> encodeAll(List<DatasetRow> rows, Function<DatasetRow, Optional<T>> encode) {
        List<T> out = new ArrayList<>();
        for (DatasetRow row : rows) {
            encode.apply(row).ifPresent(out::add);
        }
        return out;
    }
}

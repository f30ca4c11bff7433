package dev.osprey.train.task;

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
import dev.osprey.dataset.BadRows;
import dev.osprey.dataset.DatasetOptions;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.Folders;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.task.SequenceClassifier;
import dev.osprey.train.loop.Trainer;
import dev.osprey.train.loop.TrainingListener;
import dev.osprey.train.sft.ModelProvider;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.SftJob;
import dev.osprey.train.sft.TaskType;
import dev.osprey.train.sft.TrainingRuns;
import dev.osprey.train.sft.Tuner;

/**
 * A fine-tuning run of a task beyond causal LM ({@code --task_type seq_cls}): the same rows, tuners, Trainer,
 * checkpoints and resume as {@code osprey sft}, with the task's head, examples and objective.
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
        if (task != TaskType.SEQ_CLS) {
            throw new IllegalArgumentException("--task_type " + task.argument() + " is not trained by this job");
        }
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
            String problemType = args.problemType() != null
                    ? args.problemType()
                    : ClassificationExample.problemType(rows.train().get(0), args.numLabels());
            PromptEncoder prompts = provider.prompts(model);
            boolean left = args.truncationStrategy().equals("left");
            Function<DatasetRow, Optional<ClassificationExample>> encode = badRows.skipping(row ->
                    ClassificationExample.encode(row, prompts, args.maxLength(), left, problemType, args.numLabels()));
            List<ClassificationExample> train = encodeAll(rows.train(), encode);
            List<ClassificationExample> validation = encodeAll(rows.validation(), encode);
            if (badRows.count() > 0) {
                listener.message(badRows.summary());
            }
            if (train.isEmpty()) {
                throw new IllegalArgumentException("no training rows left in " + args.dataset()
                        + (badRows.count() > 0
                                ? ": " + badRows.summary()
                                : " within --max_length " + args.maxLength()));
            }

            Map<String, NDArray> trainable = Tuner.setUp(decoder, args, TrainingRuns.ADAPTER_NAME, manager, listener);
            trainable.remove("lm_head.weight"); // a classifier reads no language-model head
            String adapter = TrainingRuns.adapter(args);
            Path resume = args.resumeFromCheckpoint();
            SequenceClassifier classifier = resume == null
                    ? SequenceClassifier.init(decoder, args.numLabels(), adapter, args.seed())
                    : SequenceClassifier.load(decoder, resume, adapter);
            if (classifier.numLabels() != args.numLabels()) {
                throw new IllegalArgumentException("--resume_from_checkpoint " + resume + " has a head of "
                        + classifier.numLabels() + " labels but --num_labels is " + args.numLabels());
            }
            classifier.head().setRequiresGradient(true);
            trainable.put(SequenceClassifier.SCORE, classifier.head());
            Map<String, byte[]> tokenizerFiles = LoraMerge.tokenizerFiles(model.folder());
            Folders.Writer weights = adapter != null
                    ? dir -> classifier.writeAdapter(
                            dir, args.loraRank(), args.loraAlpha(), args.useRslora(), args.model())
                    : dir -> classifier.writeModel(dir, model.config().asMap(), problemType, tokenizerFiles);
            listener.message(String.format(
                    "seq_cls (%s, %d labels): training %,d parameters (%s) on %d rows%s",
                    problemType,
                    args.numLabels(),
                    trainable.values().stream()
                            .mapToLong(a -> a.getShape().size())
                            .sum(),
                    args.trainType(),
                    train.size(),
                    validation.isEmpty() ? "" : ", validating on " + validation.size()));
            Trainer trainer =
                    new Trainer(TrainingRuns.options(args), TrainingRuns.folder(args, args.toMap(), weights), listener);
            int padId = model.config().getInt(0, "pad_token_id");
            Trainer.Result result = trainer.train(
                    new ClassificationObjective(classifier, problemType, padId), train, validation, trainable);
            Path merged = null;
            if (args.mergeLora() && !listener.cancelled()) {
                Path last = result.lastCheckpoint();
                merged = last.resolveSibling(last.getFileName() + "-merged");
                Folders.writeAtomically(
                        merged, dir -> classifier.writeModel(dir, model.config().asMap(), problemType, tokenizerFiles));
            }
            listener.message(TrainingRuns.summary(result, merged));
            return new SftJob.Result(
                    result.lastCheckpoint(), merged, result.steps(), result.evalMetric("eval_loss"), result.plot());
        }
    }

    private static <T> List<T> encodeAll(List<DatasetRow> rows, Function<DatasetRow, Optional<T>> encode) {
        List<T> out = new ArrayList<>();
        for (DatasetRow row : rows) {
            encode.apply(row).ifPresent(out::add);
        }
        return out;
    }
}

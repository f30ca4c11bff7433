package dev.osprey.train.sft;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDManager;

import dev.osprey.dataset.BadRows;
import dev.osprey.dataset.DatasetOptions;
import dev.osprey.dataset.DatasetReader;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.dataset.DatasetSpec;
import dev.osprey.dataset.LoadedDatasets;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.Folders;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.ModelSaver;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.train.loop.RunFolder;
import dev.osprey.train.loop.Trainer;
import dev.osprey.train.loop.TrainerOptions;

/**
 * What every training method's run takes from its common arguments alike: the trainable model, the
 * training and held-out rows, the {@link TrainerOptions} and {@link RunFolder}, what a checkpoint's weights
 * are, the merge of a LoRA adapter at the end, and the closing line.
 */
public final class TrainingRuns {

    /** The name the trained LoRA adapter has on the model while training. */
    public static final String ADAPTER_NAME = "sft";

    private TrainingRuns() {}

    /** The model as a trainable decoder with a tokenizer, or an error naming its folder. */
    public static DecoderModel decoder(HfModel model) {
        if (!(model.model() instanceof DecoderModel decoder)) {
            throw new IllegalArgumentException(model.folder() + ": this architecture cannot be trained yet");
        }
        if (model.tokenizer() == null) {
            throw new IllegalArgumentException(model.folder() + " has no tokenizer.json, which training on text needs");
        }
        return decoder;
    }

    /** The adapter trained through ({@link #ADAPTER_NAME}), or null for full tuning. */
    public static String adapter(SftArguments args) {
        return args.trainType().equals("lora") ? ADAPTER_NAME : null;
    }

    /** How the Trainer runs, from {@code --per_device_train_batch_size}, {@code --learning_rate}, {@code --eval_steps} ... */
    public static TrainerOptions options(SftArguments args) {
        return new TrainerOptions(
                args.perDeviceTrainBatchSize(),
                args.gradientAccumulationSteps(),
                args.learningRate(),
                args.lrSchedulerType(),
                args.warmupRatio(),
                args.weightDecay(),
                args.maxGradNorm(),
                args.numTrainEpochs(),
                args.maxSteps(),
                args.seed(),
                args.evalSteps(),
                args.perDeviceEvalBatchSize());
    }

    /**
     * The run folder of {@code --output_dir}.
     *
     * @param arguments every argument of the run, for {@code args.json}
     * @param weights what a checkpoint holds of the trained model
     */
    public static RunFolder folder(SftArguments args, Map<String, Object> arguments, Folders.Writer weights) {
        return new RunFolder(
                args.outputDir(),
                arguments,
                args.loggingSteps(),
                args.saveSteps(),
                args.saveTotalLimit(),
                weights,
                args.resumeFromCheckpoint());
    }

    /** A checkpoint's weights: the PEFT adapter when LoRA is trained, else the whole model with its tokenizer files. */
    public static Folders.Writer weights(SftArguments args, HfModel model, DecoderModel decoder) {
        return adapter(args) != null
                ? dir -> PeftAdapter.writeFiles(
                        dir,
                        decoder.linears(),
                        ADAPTER_NAME,
                        args.loraRank(),
                        args.loraAlpha(),
                        args.useRslora(),
                        args.model())
                : dir -> ModelSaver.writeFiles(decoder, dir, "F32", LoraMerge.tokenizerFiles(model.folder()));
    }

    /**
     * The training rows of {@code --dataset} (none with {@code --streaming}) and the held-out rows: the
     * {@code --split_dataset_ratio} share of them, or {@code --val_dataset}.
     */
    public static Rows rows(SftArguments args, DatasetOptions options, BadRows badRows) throws IOException {
        DatasetOptions split = options.withSplitDatasetRatio(args.splitDatasetRatio());
        LoadedDatasets loaded =
                args.streaming() ? null : new DatasetReader(split, badRows).load(DatasetSpec.parseAll(args.dataset()));
        List<DatasetRow> validation = new ArrayList<>(loaded == null ? List.of() : loaded.validation());
        if (!args.valDataset().isEmpty()) {
            validation.addAll(new DatasetReader(options.withSplitDatasetRatio(0), badRows)
                    .load(DatasetSpec.parseAll(args.valDataset()))
                    .train());
        }
        return new Rows(loaded == null ? List.of() : loaded.train(), validation);
    }

    /** Training and held-out rows. */
    public record Rows(List<DatasetRow> train, List<DatasetRow> validation) {}

    /**
     * {@code --merge_lora}: merges the trained adapter into the weights and saves a Hugging Face folder beside
     * the last checkpoint. With QLoRA the adapter goes into the base at its original precision, not into the
     * quantized copy.
     *
     * @return the merged model's folder
     */
    public static Path mergeLora(
            SftArguments args,
            ModelProvider provider,
            HfModel model,
            DecoderModel decoder,
            Path last,
            NDManager manager)
            throws IOException {
        Path merged = last.resolveSibling(last.getFileName() + "-merged");
        if (args.quantBits() > 0) {
            try (NDManager fresh = manager.newSubManager();
                    HfModel base = provider.load(denseCopyOf(args), fresh)) {
                DecoderModel dense = (DecoderModel) base.model();
                PeftAdapter.attach(last, dense.linears(), ADAPTER_NAME, fresh);
                LoraMerge.mergeAndSave(base, ADAPTER_NAME, merged, "F32");
            }
        } else {
            LoraMerge.mergeAndSave(model, ADAPTER_NAME, merged, "F32");
        }
        return merged;
    }

    /** The same arguments without quantization: the base to merge a QLoRA adapter into. */
    private static SftArguments denseCopyOf(SftArguments args) {
        Map<String, Object> map = new LinkedHashMap<>(args.toMap());
        map.remove("stage");
        map.put("quant_bits", 0);
        return SftArguments.fromMap(map, "the merge").stage(args.stage());
    }

    /** The run's closing line: final loss and eval loss, where the checkpoint, plot and merged model went. */
    public static String summary(Trainer.Result result, Path merged) {
        Map<Long, Double> eval = result.evalMetric("eval_loss");
        return String.format(
                "final loss %.4f after %d steps%s; saved %s%s%s",
                result.finalLoss(),
                result.steps().size(),
                eval.isEmpty()
                        ? ""
                        : String.format(
                                ", eval loss %.4f",
                                eval.values().stream().reduce((a, b) -> b).get()),
                result.lastCheckpoint(),
                result.plot() == null ? "" : ", plot " + result.plot(),
                merged == null ? "" : ", merged model " + merged);
    }
}

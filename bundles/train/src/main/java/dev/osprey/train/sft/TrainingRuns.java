package dev.osprey.train.sft;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.osprey.api.model.LanguageModel;
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

    /**
     * The model to train, any {@link LanguageModel}: full tuning needs only its parameters and forward pass;
     * LoRA and QLoRA need it to declare its linear layers ({@code AdaptableLinears}), gradient checkpointing
     * to be a {@link DecoderModel} (each asks when it is set up).
     *
     * @throws IllegalArgumentException naming the folder when it has no tokenizer
     */
    public static LanguageModel trainable(HfModel model) {
        if (model.tokenizer() == null) {
            throw new IllegalArgumentException(model.folder() + " has no tokenizer.json, which training on text needs");
        }
        return model.model();
    }

    /**
     * The model as a decoder of the SPI, for what needs its layers and hidden states.
     *
     * @param feature what needs it, for the error ("--gradient_checkpointing", "a reward model's score head")
     * @throws IllegalArgumentException naming the architecture and the feature when it is not one
     */
    public static DecoderModel decoder(HfModel model, String feature) {
        LanguageModel trainable = trainable(model);
        if (!(trainable instanceof DecoderModel decoder)) {
            throw new IllegalArgumentException(notADecoder(trainable, feature));
        }
        return decoder;
    }

    /** The model as a decoder of the SPI with a tokenizer, or an error naming the architecture. */
    public static DecoderModel decoder(HfModel model) {
        return decoder(model, "this run");
    }

    /** Why {@code feature} cannot run on {@code model}: it is not a {@link DecoderModel}. */
    public static String notADecoder(LanguageModel model, String feature) {
        return feature + " needs a decoder model of the model-family SPI (its layers and hidden states); architecture "
                + model.config().modelType() + " (" + model.getClass().getName() + ") is another LanguageModel";
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

    /** {@link #options(SftArguments)} with {@code --vit_lr} and {@code --aligner_lr} given to {@code trainable}. */
    public static TrainerOptions options(SftArguments args, LanguageModel model, Map<String, NDArray> trainable) {
        return options(args).withLearningRateScales(Tuner.learningRateScales(model, trainable.keySet(), args));
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
    public static Folders.Writer weights(SftArguments args, HfModel model, LanguageModel trained) {
        return adapter(args) != null
                ? dir -> PeftAdapter.writeFiles(
                        dir,
                        LoraMerge.linearsOf(trained),
                        ADAPTER_NAME,
                        args.loraRank(),
                        args.loraAlpha(),
                        args.useRslora(),
                        args.model())
                : dir -> ModelSaver.writeFiles(trained, dir, "F32", LoraMerge.tokenizerFiles(model.folder()));
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
    public static Path mergeLora(SftArguments args, ModelProvider provider, HfModel model, Path last, NDManager manager)
            throws IOException {
        Path merged = last.resolveSibling(last.getFileName() + "-merged");
        if (args.quantBits() > 0) {
            try (NDManager fresh = manager.newSubManager();
                    HfModel base = provider.load(denseCopyOf(args), fresh)) {
                PeftAdapter.attach(
                        last, LoraMerge.linearsOf(base.model()), ADAPTER_NAME, fresh, base.model()::checkpointKey);
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

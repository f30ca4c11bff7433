package dev.osprey.align.rlhf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.checkpoint.Safetensors;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.Folders;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.LoraWeights;
import dev.osprey.model.nn.Pooling;
import dev.osprey.model.task.SequenceClassifier;
import dev.osprey.train.sft.Batch;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.TrainingRuns;

/**
 * A reward model as Hugging Face's {@code *ForSequenceClassification} with one label: the decoder's final
 * hidden state at the last non-padding token times a bias-free linear head {@code score.weight} (1, H).
 * Saved as a Hugging Face folder (config {@code architectures} {@code XForSequenceClassification},
 * {@code num_labels} 1, a LoRA adapter merged into the weights) that {@link #load} reads back. A training
 * checkpoint ({@link #writeCheckpoint}) adds the unmerged PEFT adapter of a LoRA run in {@value #ADAPTER_FOLDER}/,
 * from which {@link #resume} continues the run.
 */
public final class RewardModel implements AutoCloseable {

    /** The head's tensor name in Hugging Face checkpoints. */
    public static final String SCORE = "score.weight";

    /** The subfolder of a LoRA run's checkpoint that holds its PEFT adapter. */
    public static final String ADAPTER_FOLDER = "adapter";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final DecoderModel decoder;
    private final NDArray score;
    private final String adapter;
    private final HfModel owned;

    private RewardModel(DecoderModel decoder, NDArray score, String adapter, HfModel owned) {
        this.decoder = decoder;
        this.score = score;
        this.adapter = adapter;
        this.owned = owned;
    }

    /**
     * A fresh head on a decoder, initialised as transformers does ({@code normal(0, initializer_range)}).
     *
     * @param adapter the LoRA adapter trained with it, or null for full tuning
     */
    public static RewardModel init(DecoderModel decoder, String adapter, NDManager manager, long seed) {
        NDManager m = decoder.parameters().values().iterator().next().getManager();
        manager.getEngine().setRandomSeed((int) seed);
        NDArray w = m.randomNormal(
                0, (float) decoder.spec().initStd(), new Shape(1, decoder.spec().hiddenSize()), DataType.FLOAT32);
        return new RewardModel(decoder, w, adapter, null);
    }

    /**
     * A saved reward model.
     *
     * @param loaded the folder loaded as a causal LM (its {@code score.weight} left unused); the reward model closes it
     */
    public static RewardModel load(HfModel loaded, NDManager manager) throws IOException {
        if (!(loaded.model() instanceof DecoderModel decoder)) {
            throw new IllegalArgumentException(
                    loaded.folder() + ": " + TrainingRuns.notADecoder(loaded.model(), "a reward model's score head"));
        }
        return new RewardModel(decoder, readHead(loaded.folder(), decoder), null, loaded);
    }

    /**
     * The reward model of a training checkpoint ({@link #writeCheckpoint}), to train on from where it stopped:
     * the head from its {@code score.weight}, over a decoder that already holds the checkpoint's weights (full
     * tuning) or its unmerged adapter (LoRA, attached by the tuner from {@link #tunerArguments}). The merged
     * weights beside them are not used: merging rounds, and a resumed run must repeat the uninterrupted one.
     *
     * @param adapter the LoRA adapter on {@code decoder}, or null for full tuning
     * @throws IllegalArgumentException naming the checkpoint when it is not a reward model's
     */
    public static RewardModel resume(DecoderModel decoder, String adapter, Path checkpoint) throws IOException {
        return new RewardModel(decoder, readHead(checkpoint, decoder), adapter, null);
    }

    /**
     * The arguments the tuner sets the model up from: those given, except that a resumed LoRA run attaches the
     * adapter in the checkpoint's {@value #ADAPTER_FOLDER}/ (its top level holds the merged weights).
     *
     * @throws IllegalArgumentException naming the missing file when the checkpoint has no adapter
     */
    public static SftArguments tunerArguments(SftArguments args) {
        Path checkpoint = args.resumeFromCheckpoint();
        if (checkpoint == null || !args.trainType().equals("lora")) {
            return args;
        }
        Path adapterFolder = checkpoint.resolve(ADAPTER_FOLDER);
        if (!Files.isRegularFile(adapterFolder.resolve("adapter_config.json"))) {
            throw new IllegalArgumentException("--resume_from_checkpoint " + checkpoint + ": "
                    + adapterFolder.resolve("adapter_config.json") + " is missing, so this is not a checkpoint of a"
                    + " LoRA reward-model run (--rlhf_type rm --train_type lora)");
        }
        Map<String, Object> values = new LinkedHashMap<>(args.toMap());
        values.remove("stage");
        return SftArguments.fromMap(values, "--resume_from_checkpoint " + checkpoint)
                .stage(args.stage())
                .resumeFromCheckpoint(adapterFolder);
    }

    /** {@code score.weight} (1, H) of a folder's weights, checked against the decoder. */
    private static NDArray readHead(Path folder, DecoderModel decoder) throws IOException {
        WeightFiles weights = WeightFiles.open(folder);
        if (!weights.contains(SCORE)) {
            throw new IllegalArgumentException(folder + " has no '" + SCORE
                    + "': not a reward model (a *ForSequenceClassification folder with num_labels 1)");
        }
        NDArray w = weights.load(
                decoder.parameters().values().iterator().next().getManager(), SCORE, DataType.FLOAT32); // (1, H)
        if (w.getShape().dimension() != 2
                || w.getShape().get(0) != 1
                || w.getShape().get(1) != decoder.spec().hiddenSize()) {
            throw new IllegalArgumentException(weights.fileOf(SCORE) + ": '" + SCORE + "' has shape " + w.getShape()
                    + ", expected (1, " + decoder.spec().hiddenSize() + ") (num_labels 1)");
        }
        return w;
    }

    public DecoderModel decoder() {
        return decoder;
    }

    /** The head (1, H); it requires gradients while trained. */
    public NDArray head() {
        return score;
    }

    /**
     * Scores a right-padded batch: one reward per row (B).
     *
     * @param training a training pass (gradients kept, dropout on)
     */
    public NDArray scores(Batch batch, boolean training) {
        NDArray h = decoder.hiddenStates(ForwardRequest.builder(batch.inputIds())
                .optAttentionMask(batch.attentionMask())
                .optAdapter(adapter)
                .optTraining(training)
                .optMedia(batch.media())
                .optAttentionBlocks(batch.attentionBlocks())
                .build()); // (B, T, H)
        NDArray pooled = Pooling.LAST.pool(h, batch.attentionMask()); // (B, H): the last real token
        return pooled.toType(DataType.FLOAT32, false).matMul(score.transpose()).squeeze(1); // (B, H) x (H, 1) -> (B)
    }

    /**
     * Writes the folder: config.json as {@code XForSequenceClassification} with {@code num_labels} 1, the
     * weights with the adapter merged (the model is left as it was) and {@code score.weight}.
     *
     * @param config the base model's config.json values
     * @param extraFiles tokenizer files and the like
     */
    public void writeFiles(Path dir, Map<String, Object> config, Map<String, byte[]> extraFiles) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>(config);
        out.put("architectures", List.of(architecture(config)));
        out.put("num_labels", 1);
        out.put("id2label", Map.of("0", "LABEL_0"));
        out.put("label2id", Map.of("LABEL_0", 0));
        out.put("torch_dtype", "float32");
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(out));
        Map<String, NDArray> tensors = new LinkedHashMap<>(decoder.parameters());
        if (adapter != null) {
            for (Linear l : decoder.linears()) {
                LoraWeights w = l.adapter(adapter);
                if (w != null) {
                    tensors.put(
                            l.name() + ".weight",
                            w.mergedWeight(l.weight().get()).stopGradient());
                }
            }
        }
        tensors.put(SCORE, score.stopGradient());
        Safetensors.write(dir.resolve(WeightFiles.SINGLE_FILE), tensors, Map.of("format", "pt"), "F32");
        for (Map.Entry<String, byte[]> e : extraFiles.entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
    }

    /**
     * A training checkpoint's weights, into the folder being assembled: the Hugging Face folder of
     * {@link #writeFiles} and, for a LoRA run, the PEFT adapter in {@value #ADAPTER_FOLDER}/. Not at the top
     * level: transformers (with peft installed) loads a folder holding {@code adapter_config.json} as that
     * adapter over its base, which would drop the merged weights and the trained head.
     *
     * @param adapterFiles writes the PEFT adapter into a folder; null for full tuning
     */
    public void writeCheckpoint(
            Path dir, Map<String, Object> config, Map<String, byte[]> extraFiles, Folders.Writer adapterFiles)
            throws IOException {
        writeFiles(dir, config, extraFiles);
        if (adapterFiles != null) {
            adapterFiles.write(Files.createDirectory(dir.resolve(ADAPTER_FOLDER)));
        }
    }

    /** {@link #writeFiles} into a folder written atomically. */
    public void save(Path folder, Map<String, Object> config, Map<String, byte[]> extraFiles) throws IOException {
        Folders.writeAtomically(folder, dir -> writeFiles(dir, config, extraFiles));
    }

    /** {@code Qwen2ForCausalLM} becomes {@code Qwen2ForSequenceClassification}; without architectures, from model_type. */
    static String architecture(Map<String, Object> config) {
        return SequenceClassifier.architecture(config);
    }

    /** Closes the model it loaded (a head built on a training model leaves that model to its owner). */
    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }
}

package dev.osprey.model.task;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.LoraWeights;
import dev.osprey.model.nn.Pooling;

/**
 * A decoder with a classification head, as transformers' {@code *ForSequenceClassification}: the final hidden
 * state of each row's last real token times a bias-free {@code score.weight} (N, H) gives N logits. Saved as a
 * Hugging Face folder ({@code XForSequenceClassification}, {@code num_labels}, {@code id2label}, no
 * {@code lm_head}), or, for a LoRA run, as the PEFT adapter ms-swift saves: {@code task_type SEQ_CLS} with the
 * head in {@code modules_to_save}.
 */
public final class SequenceClassifier {

    /** The head's module and tensor names in Hugging Face checkpoints. */
    public static final String MODULE = "score";

    public static final String SCORE = MODULE + ".weight";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final DecoderModel decoder;
    private final NDArray score;
    private final String adapter;

    private SequenceClassifier(DecoderModel decoder, NDArray score, String adapter) {
        this.decoder = decoder;
        this.score = score;
        this.adapter = adapter;
    }

    /**
     * A fresh head of {@code numLabels} rows, initialised as transformers does ({@code normal(0, initializer_range)}).
     *
     * @param adapter the LoRA adapter trained with it, or null for full tuning
     */
    public static SequenceClassifier init(DecoderModel decoder, int numLabels, String adapter, long seed) {
        NDManager m = managerOf(decoder);
        m.getEngine().setRandomSeed((int) seed);
        NDArray w = m.randomNormal(
                0,
                (float) decoder.spec().initStd(),
                new Shape(numLabels, decoder.spec().hiddenSize()),
                DataType.FLOAT32); // (N, H)
        return new SequenceClassifier(decoder, w, adapter);
    }

    /**
     * The head a folder holds: {@code score.weight} of a Hugging Face classifier folder, or of a PEFT
     * {@code SEQ_CLS} adapter's {@code modules_to_save}.
     *
     * @param adapter the adapter attached from {@code folder}, or null when {@code folder} is the model's
     * @throws IllegalArgumentException naming the folder when it holds no head, or one of another shape
     */
    public static SequenceClassifier load(DecoderModel decoder, Path folder, String adapter) throws IOException {
        NDManager m = managerOf(decoder);
        NDArray w;
        Path source;
        if (Files.isRegularFile(folder.resolve("adapter_config.json"))) {
            w = PeftAdapter.savedModule(folder, MODULE, m).get(SCORE);
            source = folder.resolve(WeightFiles.ADAPTER_FILE);
        } else {
            WeightFiles weights = WeightFiles.open(folder);
            w = weights.contains(SCORE) ? weights.load(m, SCORE, DataType.FLOAT32) : null;
            source = w == null ? folder : weights.fileOf(SCORE);
        }
        if (w == null) {
            throw new IllegalArgumentException(source + " has no '" + SCORE
                    + "': not a sequence classifier (a *ForSequenceClassification folder, or a PEFT adapter with"
                    + " modules_to_save [\"score\"])");
        }
        if (w.getShape().dimension() != 2
                || w.getShape().get(1) != decoder.spec().hiddenSize()) {
            throw new IllegalArgumentException(source + ": '" + SCORE + "' has shape " + w.getShape()
                    + ", expected (num_labels, " + decoder.spec().hiddenSize() + ")");
        }
        return new SequenceClassifier(decoder, w, adapter);
    }

    private static NDManager managerOf(DecoderModel decoder) {
        return decoder.parameters().values().iterator().next().getManager();
    }

    public DecoderModel decoder() {
        return decoder;
    }

    /** The head (N, H); it requires gradients while trained. */
    public NDArray head() {
        return score;
    }

    public int numLabels() {
        return Math.toIntExact(score.getShape().get(0));
    }

    /**
     * The logits of a padded batch (B, N).
     *
     * @param training a training pass (gradients kept, dropout on)
     */
    public NDArray logits(NDArray inputIds, NDArray attentionMask, boolean training) {
        NDArray h = decoder.hiddenStates(ForwardRequest.builder(inputIds)
                .optAttentionMask(attentionMask)
                .optAdapter(adapter)
                .optTraining(training)
                .build()); // (B, T, H)
        NDArray pooled = Pooling.LAST.pool(h, attentionMask).toType(DataType.FLOAT32, false); // (B, H)
        return pooled.matMul(score.transpose()); // (B, H) x (H, N) -> (B, N)
    }

    /**
     * Writes a Hugging Face classifier folder: config.json as {@code XForSequenceClassification}, the decoder's
     * weights (a LoRA adapter merged in, the model left as it was) without {@code lm_head}, and the head.
     *
     * @param config the base model's config.json values
     * @param problemType transformers' {@code problem_type}, or null
     * @param extraFiles tokenizer files and the like
     */
    public void writeModel(Path dir, Map<String, Object> config, String problemType, Map<String, byte[]> extraFiles)
            throws IOException {
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config(config, problemType)));
        Map<String, NDArray> tensors = new LinkedHashMap<>(decoder.parameters());
        tensors.remove("lm_head.weight"); // a classifier has no language-model head
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

    /** The base model's config as a classifier's: architectures, num_labels, id2label/label2id, problem_type. */
    Map<String, Object> config(Map<String, Object> base, String problemType) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        out.put("architectures", List.of(architecture(base)));
        Map<String, Object> id2label = new LinkedHashMap<>();
        Map<String, Object> label2id = new LinkedHashMap<>();
        for (int i = 0; i < numLabels(); i++) {
            id2label.put(String.valueOf(i), "LABEL_" + i);
            label2id.put("LABEL_" + i, i);
        }
        out.put("num_labels", numLabels());
        out.put("id2label", id2label);
        out.put("label2id", label2id);
        if (problemType != null) {
            out.put("problem_type", problemType);
        }
        out.put("torch_dtype", "float32");
        return out;
    }

    /**
     * Writes the trained LoRA adapter as PEFT saves a {@code SEQ_CLS} model's: the LoRA weights and the head in
     * {@code modules_to_save}.
     */
    public void writeAdapter(Path dir, int rank, double alpha, boolean rsLora, String baseModel) throws IOException {
        PeftAdapter.writeFiles(
                dir, decoder.linears(), adapter, rank, alpha, rsLora, baseModel, "SEQ_CLS", Map.of(SCORE, score));
    }

    /** {@code Qwen2ForCausalLM} becomes {@code Qwen2ForSequenceClassification}; without architectures, from model_type. */
    public static String architecture(Map<String, Object> config) {
        if (config.get("architectures") instanceof List<?> list && !list.isEmpty()) {
            String first = String.valueOf(list.get(0));
            int at = first.indexOf("For");
            String base = at > 0
                    ? first.substring(0, at)
                    : first.endsWith("Model") ? first.substring(0, first.length() - 5) : first;
            return base + "ForSequenceClassification";
        }
        String type = String.valueOf(config.getOrDefault("model_type", "Model"));
        return type.substring(0, 1).toUpperCase(Locale.ROOT) + type.substring(1) + "ForSequenceClassification";
    }
}

package dev.osprey.backend.djl;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;

import dev.osprey.api.inference.ClassificationRequest;
import dev.osprey.api.inference.ClassificationResult;
import dev.osprey.api.inference.EmbeddingRequest;
import dev.osprey.api.inference.EmbeddingResult;
import dev.osprey.api.inference.InvalidRequestException;
import dev.osprey.api.inference.RerankRequest;
import dev.osprey.api.inference.RerankResult;
import dev.osprey.api.model.ModelEntry;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.nn.Pooling;
import dev.osprey.model.task.Embedder;
import dev.osprey.model.task.GenerativeReranker;
import dev.osprey.model.task.Padded;
import dev.osprey.model.task.RerankInput;
import dev.osprey.model.task.SequenceClassifier;

/**
 * The pooling tasks of a served model ({@code task_type}): embeddings of texts or token ids
 * ({@code embedding}), a classifier's logits ({@code seq_cls}: classifiers and reward models), and relevance scores of documents to a query, from a one-label score head
 * ({@code reranker}: a {@code *ForSequenceClassification} checkpoint) or from the "yes" and "no" logits after
 * Qwen3-Reranker's prompt ({@code generative_reranker}). One batch at a time: the passes run on the calling
 * thread, holding the model's lock, and the generation scheduler has nothing to run for such a model.
 */
final class PoolingTasks {

    static final String EMBEDDING = "embedding";
    static final String RERANKER = "reranker";
    static final String GENERATIVE_RERANKER = "generative_reranker";
    static final String SEQ_CLS = "seq_cls";
    private static final List<String> TASKS =
            List.of(ModelEntry.CAUSAL_LM, EMBEDDING, RERANKER, GENERATIVE_RERANKER, SEQ_CLS);

    private final String task;
    private final HfModel hf;
    private final DecoderModel decoder;
    private final NDManager work;
    private final int contextLength;
    private final SequenceClassifier classifier;
    private final int yesId;
    private final int noId;
    private final Object lock = new Object();

    /**
     * @param task {@code task_type}, or null for a causal LM
     * @throws IllegalArgumentException naming the setting or the folder when the model cannot serve the task
     */
    PoolingTasks(String task, HfModel hf, NDManager work, int contextLength) throws IOException {
        this.task = task == null || task.isBlank()
                ? ModelEntry.CAUSAL_LM
                : task.strip().toLowerCase(Locale.ROOT);
        if (!TASKS.contains(this.task)) {
            throw new IllegalArgumentException("setting task_type must be one of " + TASKS + ", was '" + task + "'");
        }
        this.hf = hf;
        this.work = work;
        this.contextLength = contextLength;
        boolean pooling = !this.task.equals(ModelEntry.CAUSAL_LM);
        if (pooling && !(hf.model() instanceof DecoderModel)) {
            throw new IllegalArgumentException(hf.folder() + ": task_type " + this.task
                    + " needs a decoder of the model-family SPI; " + hf.config().modelType() + " is another model");
        }
        if ((this.task.equals(RERANKER) || this.task.equals(GENERATIVE_RERANKER)) && hf.tokenizer() == null) {
            throw new IllegalArgumentException(
                    hf.folder() + " has no tokenizer.json, which task_type " + this.task + " needs");
        }
        this.decoder = pooling ? (DecoderModel) hf.model() : null;
        this.classifier = this.task.equals(RERANKER) || this.task.equals(SEQ_CLS)
                ? SequenceClassifier.load(decoder, hf.folder(), null)
                : null;
        if (this.task.equals(RERANKER) && classifier.numLabels() != 1) {
            throw new IllegalArgumentException(
                    hf.folder() + ": a reranker's score head has one label; this one has " + classifier.numLabels());
        }
        this.yesId = this.task.equals(GENERATIVE_RERANKER)
                ? RerankInput.singleToken(hf.tokenizer(), GenerativeReranker.positiveToken(), hf.folder())
                : -1;
        this.noId = this.task.equals(GENERATIVE_RERANKER)
                ? RerankInput.singleToken(hf.tokenizer(), GenerativeReranker.negativeToken(), hf.folder())
                : -1;
    }

    String task() {
        return task;
    }

    /** Whether the model generates text (a causal LM), rather than serving a pooling task. */
    boolean generates() {
        return task.equals(ModelEntry.CAUSAL_LM);
    }

    /** @param adapter the LoRA adapter the request's model name selects, or null */
    EmbeddingResult embed(EmbeddingRequest request, String adapter) {
        require(EMBEDDING, "/v1/embeddings");
        if (request.size() == 0) {
            throw new InvalidRequestException("input must not be empty", "input");
        }
        List<int[]> inputs = inputs(request.texts(), request.tokenIds());
        int hidden = decoder.spec().hiddenSize();
        if (request.dimensions() < 0 || request.dimensions() > hidden) {
            throw new InvalidRequestException(
                    "dimensions must be between 1 and " + hidden + " for this model, was " + request.dimensions(),
                    "dimensions");
        }
        synchronized (lock) {
            try (NDManager m = work.newSubManager()) {
                Padded batch = Padded.right(m, inputs, hf.config().getInt(0, "pad_token_id"));
                NDArray e =
                        new Embedder(decoder, Pooling.LAST, adapter).embed(batch.ids(), batch.mask(), false); // (B, H)
                if (request.dimensions() > 0) {
                    e = Embedder.truncate(e, request.dimensions()); // (B, D)
                }
                float[] flat = e.toFloatArray();
                int width = Math.toIntExact(e.getShape().get(1));
                List<float[]> out = new ArrayList<>();
                for (int r = 0; r < inputs.size(); r++) {
                    out.add(Arrays.copyOfRange(flat, r * width, (r + 1) * width));
                }
                return new EmbeddingResult(
                        out, inputs.stream().mapToInt(a -> a.length).sum());
            }
        }
    }

    /** @param adapter the LoRA adapter the request's model name selects, or null */
    ClassificationResult classify(ClassificationRequest request, String adapter) {
        if (!task.equals(SEQ_CLS) && !task.equals(RERANKER)) {
            throw new InvalidRequestException(
                    "the model is served for task " + task + ", not classification (serve a classifier or reward"
                            + " model with --task_type seq_cls)",
                    "model");
        }
        refuseAdapter(adapter);
        List<int[]> inputs = inputs(request.texts(), request.tokenIds());
        synchronized (lock) {
            try (NDManager m = work.newSubManager()) {
                Padded batch = Padded.right(m, inputs, hf.config().getInt(0, "pad_token_id"));
                SequenceClassifier head = classifier;
                NDArray logits = head.logits(batch.ids(), batch.mask(), false); // (B, N)
                float[] flat = logits.toFloatArray();
                int n = head.numLabels();
                List<float[]> out = new ArrayList<>();
                for (int r = 0; r < inputs.size(); r++) {
                    out.add(Arrays.copyOfRange(flat, r * n, (r + 1) * n));
                }
                return new ClassificationResult(
                        out, labels(n), inputs.stream().mapToInt(a -> a.length).sum());
            }
        }
    }

    /**
     * A LoRA adapter of a score head carries its own head ({@code modules_to_save}), which a session serving one
     * head cannot switch per request: such a run is served merged ({@code --merge_lora true}).
     */
    private void refuseAdapter(String adapter) {
        if (adapter != null) {
            throw new InvalidRequestException(
                    "adapter '" + adapter + "' cannot be served on a score head: serve the merged model of its run"
                            + " (osprey sft --merge_lora true writes checkpoint-N-merged)",
                    "model");
        }
    }

    /** config.json's {@code id2label} names, or LABEL_i. */
    private List<String> labels(int n) {
        Map<?, ?> id2label = hf.config().get("id2label").orElse(null) instanceof Map<?, ?> map ? map : Map.of();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Object name = id2label.get(String.valueOf(i));
            names.add(name == null ? "LABEL_" + i : String.valueOf(name));
        }
        return names;
    }

    /** The inputs' token ids: texts as the tokenizer reads them by default, or ids checked against the vocabulary. */
    private List<int[]> inputs(List<String> texts, List<List<Integer>> tokenIds) {
        int size = texts != null ? texts.size() : tokenIds.size();
        if (size == 0) {
            throw new InvalidRequestException("input must not be empty", "input");
        }
        List<int[]> inputs = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            if (texts != null && hf.tokenizer() == null) {
                throw new InvalidRequestException(hf.folder() + " has no tokenizer.json: send token ids", "input");
            }
            int[] ids = texts != null ? Embedder.tokenize(hf.tokenizer(), texts.get(i)) : checkIds(tokenIds.get(i));
            if (ids.length == 0) {
                throw new InvalidRequestException("input " + i + " is empty", "input");
            }
            if (ids.length > contextLength) {
                throw new InvalidRequestException(
                        "This model's maximum context length is " + contextLength + " tokens. However, input " + i
                                + " has " + ids.length + " tokens. Please reduce the length of the input.",
                        "input");
            }
            inputs.add(ids);
        }
        return inputs;
    }

    RerankResult rerank(RerankRequest request, String adapter) {
        if (!task.equals(RERANKER) && !task.equals(GENERATIVE_RERANKER)) {
            throw new InvalidRequestException(
                    "the model is served for task " + task + ", not reranking (serve a reranker with --task_type"
                            + " reranker or generative_reranker)",
                    "model");
        }
        if (task.equals(RERANKER)) {
            refuseAdapter(adapter);
        }
        if (request.documents().isEmpty()) {
            throw new InvalidRequestException("documents must not be empty", "documents");
        }
        List<int[]> inputs = new ArrayList<>();
        for (int i = 0; i < request.documents().size(); i++) {
            int[] ids = RerankInput.ids(
                    hf.tokenizer(),
                    task.equals(GENERATIVE_RERANKER),
                    request.instruction(),
                    request.query(),
                    request.documents().get(i));
            if (ids.length > contextLength) {
                throw new InvalidRequestException(
                        "This model's maximum context length is " + contextLength + " tokens. However, the query with"
                                + " document " + i + " has " + ids.length + " tokens.",
                        "documents");
            }
            inputs.add(ids);
        }
        synchronized (lock) {
            try (NDManager m = work.newSubManager()) {
                Padded batch = Padded.right(m, inputs, hf.config().getInt(0, "pad_token_id"));
                NDArray logits = task.equals(GENERATIVE_RERANKER)
                        ? new GenerativeReranker(decoder, yesId, noId, adapter).scores(batch.ids(), batch.mask(), false)
                        : classifier.logits(batch.ids(), batch.mask(), false).squeeze(1); // (B)
                float[] p = Activation.sigmoid(logits).toFloatArray(); // softmax([no, yes])[yes]
                List<Double> scores = new ArrayList<>();
                for (float v : p) {
                    scores.add((double) v);
                }
                return new RerankResult(
                        scores, inputs.stream().mapToInt(a -> a.length).sum());
            }
        }
    }

    private void require(String wanted, String route) {
        if (!task.equals(wanted)) {
            throw new InvalidRequestException(
                    "the model is served for task " + task + ", so it does not answer " + route
                            + " (serve an embedding model with --task_type embedding)",
                    "model");
        }
    }

    private int[] checkIds(List<Integer> ids) {
        int vocab = decoder.spec().vocabSize();
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) {
            int id = ids.get(i);
            if (id < 0 || id >= vocab) {
                throw new InvalidRequestException(
                        "token id " + id + " is outside the vocabulary [0, " + vocab + ")", "input");
            }
            out[i] = id;
        }
        return out;
    }
}

package dev.osprey.model.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.nn.Pooling;

/**
 * A causal LM read as a reranker, as Qwen3-Reranker is: the prompt asks whether the document meets the query,
 * and the score is the logit of the answer "yes" minus that of "no" at the last position (its sigmoid is
 * Qwen3-Reranker's {@code softmax([no, yes])[yes]}).
 *
 * @param yesId the token id of "yes"
 * @param noId the token id of "no"
 * @param adapter the LoRA adapter to run through, or null
 */
public record GenerativeReranker(DecoderModel decoder, int yesId, int noId, String adapter) {

    /** Qwen3-Reranker's system prompt and turns around {@code <Instruct>: ...\n<Query>: ...\n<Document>: ...}. */
    public static final String PREFIX = "<|im_start|>system\nJudge whether the Document meets the requirements based on"
            + " the Query and the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n"
            + "<|im_start|>user\n";

    public static final String SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";

    /** Qwen3-Reranker's default instruction. */
    public static final String INSTRUCTION =
            "Given a web search query, retrieve relevant passages that answer the query";

    /** The answer token scored as relevant: ms-swift's {@code GENERATIVE_RERANKER_POSITIVE_TOKEN}, default "yes". */
    public static String positiveToken() {
        return environment("GENERATIVE_RERANKER_POSITIVE_TOKEN", "yes");
    }

    /** The answer token scored as irrelevant: ms-swift's {@code GENERATIVE_RERANKER_NEGATIVE_TOKEN}, default "no". */
    public static String negativeToken() {
        return environment("GENERATIVE_RERANKER_NEGATIVE_TOKEN", "no");
    }

    private static String environment(String name, String defaultValue) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? defaultValue : value;
    }

    /** The text between {@link #PREFIX} and {@link #SUFFIX} for one query and document. */
    public static String content(String instruction, String query, String document) {
        return "<Instruct>: " + (instruction == null ? INSTRUCTION : instruction) + "\n<Query>: " + query
                + "\n<Document>: " + document;
    }

    /**
     * The scores (B) of a padded batch: logit("yes") - logit("no") at each row's last real token.
     *
     * @param training a training pass (gradients kept, dropout on)
     */
    public NDArray scores(NDArray inputIds, NDArray attentionMask, boolean training) {
        NDArray h = decoder.hiddenStates(ForwardRequest.builder(inputIds)
                .optAttentionMask(attentionMask)
                .optAdapter(adapter)
                .optTraining(training)
                .build()); // (B, T, H)
        NDArray last = Pooling.LAST.pool(h, attentionMask).expandDims(1); // (B, 1, H)
        NDArray logits = decoder.outputHead(last, adapter).squeeze(1); // (B, V)
        return logits.get(new NDIndex(":, {}", yesId)).sub(logits.get(new NDIndex(":, {}", noId))); // (B)
    }
}

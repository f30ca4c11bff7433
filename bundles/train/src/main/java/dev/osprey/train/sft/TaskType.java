package dev.osprey.train.sft;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a fine-tuning run trains the model for, by ms-swift's {@code --task_type}: the next token (causal
 * LM), a label from a classification head on the last token ({@code seq_cls}), a normalised embedding of the
 * last token ({@code embedding}), or a relevance score of a query and a document ({@code reranker}: a
 * one-label head; {@code generative_reranker}: the "yes" token's logit against "no"'s, as Qwen3-Reranker).
 */
public enum TaskType {
    CAUSAL_LM(List.of()),
    SEQ_CLS(List.of()),
    EMBEDDING(List.of("infonce", "cosine_similarity")),
    RERANKER(List.of("pointwise_reranker", "listwise_reranker")),
    GENERATIVE_RERANKER(
            List.of("pointwise_reranker", "listwise_reranker", "generative_reranker", "listwise_generative_reranker"));

    /** The problem types of a {@code seq_cls} head, as transformers names them in config.json. */
    public static final List<String> PROBLEM_TYPES =
            List.of("single_label_classification", "multi_label_classification", "regression");

    private final List<String> lossTypes;

    TaskType(List<String> lossTypes) {
        this.lossTypes = lossTypes;
    }

    /** The argument's spelling ({@code seq_cls}). */
    public String argument() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The {@code --loss_type} values the task takes, its default first (none: the task has one loss). */
    public List<String> lossTypes() {
        return lossTypes;
    }

    /** {@code --loss_type}, or the task's default. */
    public String lossType(SftArguments args) {
        return args.lossType() != null ? args.lossType() : lossTypes.isEmpty() ? null : lossTypes.get(0);
    }

    /** {@code --task_type} by ms-swift's name ({@code causal_lm}, {@code seq_cls}, ...); {@code sft} is causal LM. */
    public static TaskType of(String name) {
        String n = name == null ? "causal_lm" : name.strip().toLowerCase(Locale.ROOT);
        if (n.equals("sft")) {
            return CAUSAL_LM;
        }
        return Arrays.stream(values())
                .filter(t -> t.argument().equals(n))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--task_type must be one of "
                        + Arrays.stream(values()).map(TaskType::argument).toList() + " (or an alignment method"
                        + " with osprey rlhf), was '" + name + "'"));
    }

    /** Refuses the task's arguments that do not fit it. */
    void validate(SftArguments args) {
        if (this == SEQ_CLS) {
            require(args.numLabels() > 0, "--task_type seq_cls needs --num_labels N (the classes, or 1 for a score)");
            require(
                    args.problemType() == null || PROBLEM_TYPES.contains(args.problemType()),
                    "--problem_type must be one of " + PROBLEM_TYPES + ", was '" + args.problemType() + "'");
        } else {
            require(args.problemType() == null, "--problem_type applies to --task_type seq_cls");
            require(
                    args.numLabels() == 0 || this == RERANKER && args.numLabels() == 1,
                    "--num_labels applies to --task_type seq_cls");
        }
        if (lossTypes.isEmpty()) {
            require(
                    args.lossType() == null,
                    "--loss_type " + args.lossType() + " does not apply to --task_type " + argument()
                            + " (embedding: infonce, cosine_similarity; reranker: pointwise_reranker,"
                            + " listwise_reranker; alignment: osprey rlhf)");
        } else {
            require(
                    args.lossType() == null || lossTypes.contains(args.lossType()),
                    "--loss_type for --task_type " + argument() + " must be one of " + lossTypes + ", was '"
                            + args.lossType() + "'");
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}

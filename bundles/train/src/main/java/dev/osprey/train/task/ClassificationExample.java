package dev.osprey.train.task;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.dataset.DatasetException;
import dev.osprey.dataset.DatasetRow;

/**
 * One row of a {@code seq_cls} dataset: the conversation rendered by the template (no generation prompt),
 * and its {@code label} column as ms-swift reads it: a class index (single label), a list of class indices
 * (multi label), a number or a list of N numbers (regression).
 *
 * @param inputIds the tokens
 * @param target single label: {class}; multi label: the multi-hot vector (N); regression: the N values
 * @param source {@code file:line}, for messages
 */
public record ClassificationExample(int[] inputIds, float[] target, String source) {

    /**
     * @return empty when the row is longer than {@code maxLength} (dropped, as {@code --truncation_strategy delete})
     * @throws DatasetException naming the row when its label is missing or does not fit the problem type
     */
    public static Optional<ClassificationExample> encode(
            DatasetRow row,
            PromptEncoder prompts,
            int maxLength,
            boolean truncateLeft,
            String problemType,
            int numLabels) {
        int[] ids = prompts.encode(row.conversation(), new RenderOptions(false, RenderOptions.ALL_ASSISTANT, Map.of()))
                .inputIds();
        if (ids.length > maxLength) {
            if (!truncateLeft) {
                return Optional.empty();
            }
            ids = Arrays.copyOfRange(ids, ids.length - maxLength, ids.length);
        }
        return Optional.of(new ClassificationExample(ids, target(row, problemType, numLabels), row.source()));
    }

    /** The {@code label} column's value (a 0/1 label is read as a boolean by the dataset reader: back to 0/1). */
    static Object label(DatasetRow row) {
        Object label = row.extra().get("label");
        if (label == null && row.label().isPresent()) {
            label = row.label().get() ? 1 : 0;
        }
        if (label == null) {
            throw new DatasetException(row.source(), "no 'label' column, which --task_type seq_cls trains on");
        }
        return label;
    }

    /** transformers' choice when --problem_type is not given: regression for one label, multi label for a list. */
    public static String problemType(DatasetRow first, int numLabels) {
        if (numLabels == 1) {
            return ClassificationLoss.REGRESSION;
        }
        Object label = label(first);
        if (label instanceof List<?>) {
            return ClassificationLoss.MULTI_LABEL;
        }
        return label instanceof Number n && n.doubleValue() != Math.rint(n.doubleValue())
                ? ClassificationLoss.REGRESSION
                : ClassificationLoss.SINGLE_LABEL;
    }

    private static float[] target(DatasetRow row, String problemType, int numLabels) {
        Object label = label(row);
        String source = row.source();
        switch (problemType) {
            case ClassificationLoss.SINGLE_LABEL -> {
                int c = integer(label, source);
                if (c < 0 || c >= numLabels) {
                    throw new DatasetException(
                            source,
                            "label " + c + " is not a class of --num_labels " + numLabels + " (0.." + (numLabels - 1)
                                    + ")");
                }
                return new float[] {c};
            }
            case ClassificationLoss.MULTI_LABEL -> {
                float[] hot = new float[numLabels];
                List<?> classes = label instanceof List<?> l ? l : List.of(label);
                for (Object c : classes) {
                    int i = integer(c, source);
                    if (i < 0 || i >= numLabels) {
                        throw new DatasetException(
                                source, "label " + i + " is not a class of --num_labels " + numLabels);
                    }
                    hot[i] = 1;
                }
                return hot;
            }
            default -> {
                List<?> values = label instanceof List<?> l ? l : List.of(label);
                if (values.size() != numLabels) {
                    throw new DatasetException(
                            source,
                            "a regression label needs " + numLabels + " number(s) (--num_labels), found "
                                    + values.size());
                }
                float[] out = new float[numLabels];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) number(values.get(i), source);
                }
                return out;
            }
        }
    }

    private static int integer(Object value, String source) {
        double d = number(value, source);
        if (d != Math.rint(d)) {
            throw new DatasetException(source, "label " + value + " is not a class index");
        }
        return (int) d;
    }

    private static double number(Object value, String source) {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (value instanceof Boolean b) {
            return b ? 1 : 0;
        }
        try {
            return Double.parseDouble(String.valueOf(value).strip());
        } catch (NumberFormatException e) {
            throw new DatasetException(source, "label '" + value + "' is not a number");
        }
    }

    public int length() {
        return inputIds.length;
    }
}

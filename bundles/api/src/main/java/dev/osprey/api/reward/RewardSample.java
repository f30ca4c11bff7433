package dev.osprey.api.reward;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.osprey.api.chat.ChatMessage;

/**
 * One completion to score, with what it answers.
 *
 * @param prompt the conversation the completion answers
 * @param completion the generated text
 * @param completionTokenIds the generated token ids
 * @param columns every other column of the dataset row, e.g. {@code solution}
 */
public record RewardSample(
        List<ChatMessage> prompt, String completion, int[] completionTokenIds, Map<String, Object> columns) {

    public RewardSample {
        prompt = List.copyOf(prompt);
        completionTokenIds = completionTokenIds == null ? new int[0] : completionTokenIds;
        columns = Map.copyOf(columns);
    }

    /** The value of a dataset column of this row, if present. */
    public Optional<Object> column(String name) {
        return Optional.ofNullable(columns.get(name));
    }
}

package dev.osprey.dataset;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.Conversation;

/**
 * One training example.
 *
 * @param conversation the messages (a system message first when the row has one) and the tools offered
 * @param rejected for preference data (DPO, ORPO, CPO, SimPO, RM): the rejected assistant message(s), which
 *        replace the trailing assistant messages of {@code conversation} (see {@link #completion()})
 * @param label for KTO: whether the last assistant turn is desirable
 * @param extra every other column, keyed by its name after {@code --columns} renaming (e.g. {@code solution}
 *        for reward functions), as Jackson reads JSON: String, Integer/Long/Double/BigInteger/BigDecimal,
 *        Boolean, List, Map; CSV values are Strings
 * @param source {@code file:line} of the row, for messages
 */
public record DatasetRow(
        Conversation conversation,
        Optional<List<ChatMessage>> rejected,
        Optional<Boolean> label,
        Map<String, Object> extra,
        String source) {

    public DatasetRow {
        Objects.requireNonNull(conversation, "conversation");
        rejected = rejected == null ? Optional.empty() : rejected.map(List::copyOf);
        label = label == null ? Optional.empty() : label;
        extra = extra == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
        source = source == null ? "" : source;
    }

    /** The messages before the trailing assistant messages: the prompt of preference and GRPO training. */
    public List<ChatMessage> prompt() {
        List<ChatMessage> messages = conversation.messages();
        return messages.subList(0, messages.size() - completion().size());
    }

    /** The trailing assistant messages (the chosen answer); empty when the conversation ends with another role. */
    public List<ChatMessage> completion() {
        List<ChatMessage> messages = conversation.messages();
        int start = messages.size();
        while (start > 0 && "assistant".equals(messages.get(start - 1).role())) {
            start--;
        }
        return messages.subList(start, messages.size());
    }

    /** The rejected conversation: {@link #prompt()} followed by {@link #rejected()}; empty when not preference data. */
    public Optional<Conversation> rejectedConversation() {
        return rejected.map(r -> {
            List<ChatMessage> all = new ArrayList<>(prompt());
            all.addAll(r);
            return new Conversation(all, conversation.tools());
        });
    }
}

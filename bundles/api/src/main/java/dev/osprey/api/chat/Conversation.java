package dev.osprey.api.chat;

import java.util.List;

/**
 * Messages and the tools offered to the model.
 *
 * @param messages in order, oldest first
 * @param tools the tools offered; empty for none
 */
public record Conversation(List<ChatMessage> messages, List<ToolSpec> tools) {

    public Conversation {
        messages = List.copyOf(messages);
        tools = List.copyOf(tools);
    }

    public static Conversation of(List<ChatMessage> messages) {
        return new Conversation(messages, List.of());
    }
}

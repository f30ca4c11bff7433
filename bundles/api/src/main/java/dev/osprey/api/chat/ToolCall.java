package dev.osprey.api.chat;

/**
 * A function call made by the assistant.
 *
 * @param id the call id that the tool's answer refers to; may be empty
 * @param name the function name
 * @param argumentsJson the arguments as a JSON object text
 */
public record ToolCall(String id, String name, String argumentsJson) {}

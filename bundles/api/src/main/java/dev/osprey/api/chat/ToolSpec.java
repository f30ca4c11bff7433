package dev.osprey.api.chat;

/**
 * A tool the model may call, as in OpenAI's {@code tools} array.
 *
 * @param name the function name
 * @param description what it does
 * @param parametersSchemaJson the JSON Schema of its arguments
 */
public record ToolSpec(String name, String description, String parametersSchemaJson) {}

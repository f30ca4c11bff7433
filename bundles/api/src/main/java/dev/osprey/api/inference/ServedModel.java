package dev.osprey.api.inference;

/**
 * A model name a session answers to, as listed by {@code GET /v1/models}.
 *
 * @param id the name requests put in {@code model}
 * @param parent for a LoRA adapter, the base model's id; empty for a base model
 * @param maxModelLength the context length in tokens
 */
public record ServedModel(String id, String parent, int maxModelLength) {
}

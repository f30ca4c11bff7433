package dev.osprey.api.model;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What a model's folder says about generating with it: generation_config.json (falling back to
 * config.json for the token ids) and the context length.
 *
 * @param eosTokenIds the ids that end a completion
 * @param bosTokenId the id a completion prompt starts with, when the tokenizer adds one ({@code add_bos_token})
 * @param contextLength {@code max_position_embeddings}, else the tokenizer's {@code model_max_length}, else 2048
 * @param temperature the default sampling temperature, when the folder gives one
 * @param topP the default nucleus probability, when given
 * @param topK the default top-k, when given
 * @param maxNewTokens the default completion length, when given
 */
public record GenerationDefaults(
        Set<Integer> eosTokenIds,
        OptionalInt bosTokenId,
        int contextLength,
        Optional<Double> temperature,
        Optional<Double> topP,
        OptionalInt topK,
        OptionalInt maxNewTokens) {

    public GenerationDefaults {
        eosTokenIds = Set.copyOf(eosTokenIds);
        if (contextLength < 1) {
            throw new IllegalArgumentException("contextLength must be positive, was " + contextLength);
        }
    }
}

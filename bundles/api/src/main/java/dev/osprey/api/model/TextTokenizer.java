package dev.osprey.api.model;

import java.util.OptionalInt;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A model's tokenizer as text in, ids out. Special tokens written in a text are recognised; none are
 * added (templates write them); nothing is truncated. Thread-safe.
 */
@ProviderType
public interface TextTokenizer {

    /** The ids of {@code text}. */
    int[] encode(String text);

    /** The text of {@code ids}, special tokens left out when {@code skipSpecialTokens}. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** The id of one token as written in the vocabulary ({@code <|im_end|>}), when it is one token. */
    OptionalInt tokenId(String token);
}

package dev.osprey.openai.impl;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** How choices are written: the chat shape or the text-completion shape of OpenAI's API. */
interface ResponseFormat {

    /** {@code chat.completion}, {@code text_completion}, ... */
    String object(boolean stream);

    /** The id prefix: {@code chatcmpl-} or {@code cmpl-}. */
    String idPrefix();

    /** A streamed choice before any token (chat sends the role); null when the format has none. */
    ObjectNode openingChoice(int index);

    /**
     * A streamed choice carrying new text.
     *
     * @param textOffset where {@code text} starts in the choice's whole text (completions' {@code text_offset})
     * @param logprobs the tokens of this chunk when log probabilities were asked for, else null
     */
    ObjectNode deltaChoice(int index, String text, int textOffset, List<TokenLogprob> logprobs);

    /** The streamed choice that ends it. */
    ObjectNode finishChoice(int index, String finishReason);

    /** A whole choice, for a response that is not streamed. */
    ObjectNode fullChoice(int index, String text, int textOffset, List<TokenLogprob> logprobs, String finishReason);
}

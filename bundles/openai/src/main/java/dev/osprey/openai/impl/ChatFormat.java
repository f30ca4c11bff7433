package dev.osprey.openai.impl;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.api.chat.ParsedCompletion;

/**
 * The {@code /v1/chat/completions} shapes: {@code message} / {@code delta}, and log probabilities as
 * {@code {"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}]}}.
 */
final class ChatFormat implements ResponseFormat {

    @Override
    public String object(boolean stream) {
        return stream ? "chat.completion.chunk" : "chat.completion";
    }

    @Override
    public String idPrefix() {
        return "chatcmpl-";
    }

    @Override
    public ObjectNode openingChoice(int index) {
        ObjectNode choice = Json.object().put("index", index);
        choice.putObject("delta").put("role", "assistant").put("content", "");
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return choice;
    }

    @Override
    public ObjectNode deltaChoice(int index, String text, int textOffset, List<TokenLogprob> logprobs) {
        ObjectNode choice = Json.object().put("index", index);
        choice.putObject("delta").put("content", text);
        putLogprobs(choice, logprobs);
        choice.putNull("finish_reason");
        return choice;
    }

    @Override
    public ObjectNode finishChoice(int index, String finishReason) {
        ObjectNode choice = Json.object().put("index", index);
        choice.putObject("delta");
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return choice;
    }

    @Override
    public ObjectNode fullChoice(
            int index, String text, int textOffset, List<TokenLogprob> logprobs, String finishReason) {
        ObjectNode choice = Json.object().put("index", index);
        ObjectNode message =
                choice.putObject("message").put("role", "assistant").put("content", text);
        message.putArray("tool_calls");
        putLogprobs(choice, logprobs);
        choice.put("finish_reason", finishReason);
        return choice;
    }

    /**
     * A whole answer read through the chat template: {@code content} (null when empty and there are calls),
     * {@code reasoning_content} when the model thought, and {@code tool_calls}.
     */
    ObjectNode messageChoice(
            int index,
            ParsedCompletion parts,
            List<ChatReader.SentCall> calls,
            List<TokenLogprob> logprobs,
            String finishReason) {
        ObjectNode choice = Json.object().put("index", index);
        ObjectNode message = choice.putObject("message").put("role", "assistant");
        if (parts.content().isEmpty() && !calls.isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", parts.content());
        }
        if (!parts.reasoning().isEmpty()) {
            message.put("reasoning_content", parts.reasoning());
        }
        ArrayNode list = message.putArray("tool_calls");
        for (ChatReader.SentCall c : calls) {
            call(list.addObject(), c, false);
        }
        putLogprobs(choice, logprobs);
        choice.put("finish_reason", finishReason);
        return choice;
    }

    /** A stream delta read through the chat template: new thinking, content, and each new call whole. */
    ObjectNode partsDelta(int index, ChatReader.Delta delta, List<TokenLogprob> logprobs) {
        ObjectNode choice = Json.object().put("index", index);
        ObjectNode d = choice.putObject("delta");
        if (!delta.reasoning().isEmpty()) {
            d.put("reasoning_content", delta.reasoning());
        }
        if (!delta.content().isEmpty()) {
            d.put("content", delta.content());
        }
        if (!delta.calls().isEmpty()) {
            ArrayNode list = d.putArray("tool_calls");
            for (ChatReader.SentCall c : delta.calls()) {
                call(list.addObject(), c, true);
            }
        }
        putLogprobs(choice, logprobs);
        choice.putNull("finish_reason");
        return choice;
    }

    /** A call as OpenAI writes it; in a stream with its {@code index}. */
    private static void call(ObjectNode node, ChatReader.SentCall c, boolean streamed) {
        if (streamed) {
            node.put("index", c.index());
        }
        node.put("id", c.id()).put("type", "function");
        node.putObject("function")
                .put("name", c.call().name())
                .put("arguments", c.call().argumentsJson());
    }

    private static void putLogprobs(ObjectNode choice, List<TokenLogprob> logprobs) {
        if (logprobs == null) {
            choice.putNull("logprobs");
            return;
        }
        ArrayNode content = choice.putObject("logprobs").putArray("content");
        for (TokenLogprob t : logprobs) {
            ObjectNode entry = token(content.addObject(), t.token(), t.logprob());
            ArrayNode top = entry.putArray("top_logprobs");
            for (Map.Entry<String, Double> alt : t.top().entrySet()) {
                token(top.addObject(), alt.getKey(), alt.getValue());
            }
        }
    }

    private static ObjectNode token(ObjectNode node, String token, double logprob) {
        node.put("token", token);
        node.put("logprob", Double.isNaN(logprob) ? -9999.0 : logprob);
        ArrayNode bytes = node.putArray("bytes");
        for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        return node;
    }
}

package dev.osprey.openai.impl;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

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

package dev.osprey.openai.impl;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The {@code /v1/completions} shapes: {@code text}, and log probabilities as parallel lists
 * {@code tokens}, {@code token_logprobs}, {@code top_logprobs} (token to log probability) and
 * {@code text_offset}.
 */
final class TextFormat implements ResponseFormat {

    @Override
    public String object(boolean stream) {
        return "text_completion";
    }

    @Override
    public String idPrefix() {
        return "cmpl-";
    }

    @Override
    public ObjectNode openingChoice(int index) {
        return null;
    }

    @Override
    public ObjectNode deltaChoice(int index, String text, int textOffset, List<TokenLogprob> logprobs) {
        ObjectNode choice = Json.object().put("index", index).put("text", text);
        putLogprobs(choice, textOffset, logprobs);
        choice.putNull("finish_reason");
        return choice;
    }

    @Override
    public ObjectNode finishChoice(int index, String finishReason) {
        ObjectNode choice = Json.object().put("index", index).put("text", "");
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return choice;
    }

    @Override
    public ObjectNode fullChoice(
            int index, String text, int textOffset, List<TokenLogprob> logprobs, String finishReason) {
        ObjectNode choice = Json.object().put("index", index).put("text", text);
        putLogprobs(choice, textOffset, logprobs);
        choice.put("finish_reason", finishReason);
        return choice;
    }

    private static void putLogprobs(ObjectNode choice, int textOffset, List<TokenLogprob> logprobs) {
        if (logprobs == null) {
            choice.putNull("logprobs");
            return;
        }
        ObjectNode lp = choice.putObject("logprobs");
        ArrayNode offsets = lp.putArray("text_offset");
        ArrayNode values = lp.putArray("token_logprobs");
        ArrayNode tokens = lp.putArray("tokens");
        ArrayNode tops = lp.putArray("top_logprobs");
        int offset = textOffset;
        for (TokenLogprob t : logprobs) {
            offsets.add(offset);
            offset += t.token().length();
            tokens.add(t.token());
            if (Double.isNaN(t.logprob())) {
                values.addNull();
            } else {
                values.add(t.logprob());
            }
            if (t.top().isEmpty()) {
                tops.addNull();
            } else {
                ObjectNode top = tops.addObject();
                for (Map.Entry<String, Double> alt : t.top().entrySet()) {
                    top.put(alt.getKey(), alt.getValue());
                }
            }
        }
    }
}

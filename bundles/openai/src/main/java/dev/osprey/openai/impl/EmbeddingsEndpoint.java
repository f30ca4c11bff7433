package dev.osprey.openai.impl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.api.inference.EmbeddingRequest;
import dev.osprey.api.inference.EmbeddingResult;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.inference.PoolingSession;

/**
 * {@code POST /v1/embeddings} in OpenAI's shape: {@code input} a string, a list of strings, a list of token
 * ids or a list of such lists; {@code encoding_format} {@code float} or {@code base64} (little-endian float32,
 * as OpenAI encodes); {@code dimensions} (the leading components, renormalised); {@code usage.prompt_tokens}.
 */
final class EmbeddingsEndpoint {

    private EmbeddingsEndpoint() {}

    static ObjectNode answer(InferenceSession session, ObjectNode body) {
        Fields f = new Fields(body);
        String model =
                OpenAiServlet.servedModel(session, f.string("model", null)).id();
        if (!(session instanceof PoolingSession pooling)) {
            throw ApiException.badRequest("this backend does not serve embeddings", "model");
        }
        String format = f.string("encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiException.badRequest(
                    "'encoding_format' must be float or base64, was '" + format + "'", "encoding_format");
        }
        int dimensions = f.integer("dimensions", 0, 1, Integer.MAX_VALUE);
        EmbeddingRequest request = request(model, body.get("input"), dimensions);
        EmbeddingResult result = pooling.embed(request);
        ObjectNode out = Json.object().put("object", "list");
        ArrayNode data = out.putArray("data");
        for (int i = 0; i < result.embeddings().size(); i++) {
            float[] e = result.embeddings().get(i);
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            if (format.equals("base64")) {
                ByteBuffer bytes = ByteBuffer.allocate(4 * e.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : e) {
                    bytes.putFloat(v);
                }
                item.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float v : e) {
                    values.add(v);
                }
            }
        }
        out.put("model", model);
        out.putObject("usage").put("prompt_tokens", result.promptTokens()).put("total_tokens", result.promptTokens());
        return out;
    }

    /** {@code input} as texts or as token id lists; anything else is refused naming {@code input}. */
    static EmbeddingRequest request(String model, JsonNode input, int dimensions) {
        if (input == null || input.isNull()) {
            throw ApiException.badRequest("'input' is required", "input");
        }
        if (input.isTextual()) {
            return new EmbeddingRequest(model, List.of(input.asText()), null, dimensions);
        }
        if (!input.isArray() || input.isEmpty()) {
            throw ApiException.badRequest(
                    "'input' must be a string, a list of strings, a list of token ids or a list of such lists",
                    "input");
        }
        JsonNode first = input.get(0);
        if (first.isTextual()) {
            List<String> texts = new ArrayList<>();
            for (JsonNode n : input) {
                if (!n.isTextual()) {
                    throw ApiException.badRequest("'input' mixes strings with " + n, "input");
                }
                texts.add(n.asText());
            }
            return new EmbeddingRequest(model, texts, null, dimensions);
        }
        if (first.isIntegralNumber()) {
            return new EmbeddingRequest(model, null, List.of(ids(input)), dimensions);
        }
        List<List<Integer>> lists = new ArrayList<>();
        for (JsonNode n : input) {
            if (!n.isArray() || n.isEmpty()) {
                throw ApiException.badRequest("'input' must hold lists of token ids, found " + n, "input");
            }
            lists.add(ids(n));
        }
        return new EmbeddingRequest(model, null, lists, dimensions);
    }

    private static List<Integer> ids(JsonNode list) {
        List<Integer> ids = new ArrayList<>();
        for (JsonNode n : list) {
            ids.add((int) Fields.whole(n, "input", 0, Integer.MAX_VALUE));
        }
        return ids;
    }
}

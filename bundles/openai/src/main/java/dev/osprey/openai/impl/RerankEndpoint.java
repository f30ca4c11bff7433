package dev.osprey.openai.impl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.inference.PoolingSession;
import dev.osprey.api.inference.RerankRequest;
import dev.osprey.api.inference.RerankResult;

/**
 * {@code POST /v1/rerank}, {@code /rerank} and {@code /v2/rerank} in the shape vLLM, Jina and Cohere share:
 * {@code query}, {@code documents} (strings, or objects with {@code text}), {@code top_n},
 * {@code return_documents} (default true, as vLLM and Jina); the answer's {@code results} are
 * {@code {index, relevance_score, document: {text}}}, best first, with {@code usage}. {@code instruction}
 * (an extension) replaces a generative reranker's default task instruction.
 */
final class RerankEndpoint {

    private RerankEndpoint() {}

    static ObjectNode answer(InferenceSession session, ObjectNode body) {
        Fields f = new Fields(body);
        String model =
                OpenAiServlet.servedModel(session, f.string("model", null)).id();
        if (!(session instanceof PoolingSession pooling)) {
            throw ApiException.badRequest("this backend does not serve rerankers", "model");
        }
        String query = f.string("query", null);
        if (query == null) {
            throw ApiException.badRequest("'query' is required", "query");
        }
        List<String> documents = documents(body.get("documents"));
        int topN = f.integer("top_n", documents.size(), 1, Integer.MAX_VALUE);
        boolean returnDocuments = f.bool("return_documents", true);
        RerankResult result = pooling.rerank(new RerankRequest(model, query, documents, f.string("instruction", null)));
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < documents.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparing((Integer i) -> result.scores().get(i)).reversed());
        ObjectNode out = Json.object().put("id", "rerank-" + UUID.randomUUID()).put("model", model);
        ArrayNode results = out.putArray("results");
        for (int i : order.subList(0, Math.min(topN, order.size()))) {
            ObjectNode r = results.addObject().put("index", i);
            if (returnDocuments) {
                r.putObject("document").put("text", documents.get(i));
            }
            r.put("relevance_score", result.scores().get(i));
        }
        out.putObject("usage").put("prompt_tokens", result.promptTokens()).put("total_tokens", result.promptTokens());
        return out;
    }

    private static List<String> documents(JsonNode node) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw ApiException.badRequest(
                    "'documents' must be a non-empty list of strings or {\"text\": ...} objects", "documents");
        }
        List<String> documents = new ArrayList<>();
        for (JsonNode d : node) {
            if (d.isTextual()) {
                documents.add(d.asText());
            } else if (d.isObject() && d.path("text").isTextual()) {
                documents.add(d.get("text").asText());
            } else {
                throw ApiException.badRequest(
                        "a document must be a string or {\"text\": ...}, found " + d, "documents");
            }
        }
        return documents;
    }
}

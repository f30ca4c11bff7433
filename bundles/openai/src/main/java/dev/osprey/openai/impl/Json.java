package dev.osprey.openai.impl;

import java.io.IOException;
import java.io.InputStream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The server's one JSON mapper, and body parsing with OpenAI-shaped errors. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** The request body as a JSON object, or 400 naming what is wrong with it. */
    static ObjectNode readObject(InputStream body) throws IOException {
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the request body is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", null);
        }
        if (node == null || node.isMissingNode()) {
            throw ApiException.badRequest("the request body is empty; a JSON object is expected", null);
        }
        if (!node.isObject()) {
            throw ApiException.badRequest("the request body must be a JSON object, was " + node.getNodeType().name().toLowerCase(), null);
        }
        return (ObjectNode) node;
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

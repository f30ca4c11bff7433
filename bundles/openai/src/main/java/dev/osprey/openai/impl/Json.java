package dev.osprey.openai.impl;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The server's one JSON mapper for writing, and body parsing within the configured limits with OpenAI-shaped errors. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** A reader of request bodies that refuses nesting, strings and numbers past {@code limits}. */
    static ObjectMapper reader(ServerLimits limits) {
        StreamReadConstraints constraints = StreamReadConstraints.builder()
                .maxNestingDepth(limits.maxJsonDepth())
                .maxStringLength(limits.maxJsonStringLength())
                .maxNumberLength(limits.maxJsonNumberLength())
                .maxDocumentLength(limits.maxRequestBytes())
                .build();
        return new ObjectMapper(
                        JsonFactory.builder().streamReadConstraints(constraints).build())
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** The request body as a JSON object, or 400 naming what is wrong with it. */
    static ObjectNode readObject(byte[] body, ObjectMapper reader, ServerLimits limits) {
        JsonNode node;
        try {
            node = reader.readTree(body);
        } catch (StreamConstraintsException e) {
            throw ApiException.badRequest(
                    "the request body is over a JSON limit of this server (max_json_depth "
                            + limits.maxJsonDepth() + ", max_json_string_length " + limits.maxJsonStringLength()
                            + ", max_json_number_length " + limits.maxJsonNumberLength() + "): "
                            + e.getOriginalMessage() + where(e),
                    null);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(
                    "the request body is not valid JSON: " + e.getOriginalMessage() + where(e), null);
        } catch (IOException e) {
            // e.g. bytes that are no text in any Unicode encoding
            throw ApiException.badRequest("the request body is not valid JSON: " + e.getMessage(), null);
        }
        if (node == null || node.isMissingNode()) {
            throw ApiException.badRequest("the request body is empty; a JSON object is expected", null);
        }
        if (!node.isObject()) {
            throw ApiException.badRequest(
                    "the request body must be a JSON object, was "
                            + node.getNodeType().name().toLowerCase(),
                    null);
        }
        return (ObjectNode) node;
    }

    /** " (line L, column C)", or nothing when the parser could not tell where (a limit checked outside the text). */
    private static String where(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 0
                ? ""
                : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JSON value as plain Java: maps, lists, strings, numbers, booleans, null (template arguments). */
    static Object plain(JsonNode node) {
        return MAPPER.convertValue(node, Object.class);
    }
}

package dev.osprey.openai.impl;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** OpenAI's error object: {@code {"error": {"message", "type", "param", "code"}}}. */
final class ErrorBody {

    private ErrorBody() {}

    static ObjectNode of(ApiException e) {
        ObjectNode body = Json.object();
        ObjectNode error = body.putObject("error");
        error.put("message", e.getMessage());
        error.put("type", e.type);
        if (e.param == null) {
            error.putNull("param");
        } else {
            error.put("param", e.param);
        }
        if (e.code == null) {
            error.put("code", e.status);
        } else {
            error.put("code", e.code);
        }
        return body;
    }
}

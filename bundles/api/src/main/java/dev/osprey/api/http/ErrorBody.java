package dev.osprey.api.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The body of an error answer of Osprey's HTTP routes ({@code /api/jobs}, {@code /api/plugins}, {@code /api/serving},
 * the web UI's), in OpenAI's shape, so that a client reads them as it reads {@code /v1}'s:
 * {@code {"error": {"message", "type", "param", "code"}}}.
 */
public final class ErrorBody {

    private ErrorBody() {}

    /**
     * The error object for an HTTP {@code status}: {@code type} is {@code not_found_error} for 404 and
     * {@code invalid_request_error} otherwise, {@code code} the status; {@code param} names the field at fault or is
     * null.
     */
    public static Map<String, Object> of(int status, String param, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", status == 404 ? "not_found_error" : "invalid_request_error");
        error.put("param", param);
        error.put("code", status);
        return Map.of("error", error);
    }
}

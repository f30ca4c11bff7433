package dev.osprey.openai.impl;

/**
 * A request the server answers with an OpenAI error object ({@code {"error": {"message", "type",
 * "param", "code"}}}) and an HTTP status.
 */
final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final int status;
    final String type;
    final String param;
    final String code;

    ApiException(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: a malformed body or a bad field, naming it. */
    static ApiException badRequest(String message, String param) {
        return new ApiException(400, "invalid_request_error", message, param, null);
    }

    /** 404: a model name the session does not serve. */
    static ApiException unknownModel(String model) {
        return new ApiException(
                404, "invalid_request_error", "The model `" + model + "` does not exist.", "model", "model_not_found");
    }

    /** 401: the API key is missing or wrong. */
    static ApiException unauthorized(String message) {
        return new ApiException(401, "invalid_request_error", message, null, "invalid_api_key");
    }

    /** 413: the body is larger than the server reads. */
    static ApiException tooLarge(String message) {
        return new ApiException(413, "invalid_request_error", message, null, "request_too_large");
    }

    /** 408: the client stopped sending its body. */
    static ApiException timeout(String message) {
        return new ApiException(408, "invalid_request_error", message, null, "request_timeout");
    }

    /** 429: the server is busy; the client may retry later. */
    static ApiException busy(String message) {
        return new ApiException(429, "rate_limit_error", message, null, "rate_limit_exceeded");
    }

    /** 502: the server this one forwards to failed or cannot be reached. */
    static ApiException upstream(String message) {
        return new ApiException(502, "upstream_error", message, null, "bad_gateway");
    }

    /** 503: no backend session can take requests now. */
    static ApiException unavailable(String message) {
        return new ApiException(503, "service_unavailable", message, null, null);
    }
}

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
        return new ApiException(404, "invalid_request_error", "The model `" + model + "` does not exist.", "model",
                "model_not_found");
    }

    /** 401: the API key is missing or wrong. */
    static ApiException unauthorized(String message) {
        return new ApiException(401, "invalid_request_error", message, null, "invalid_api_key");
    }

    /** 503: no backend session can take requests now. */
    static ApiException unavailable(String message) {
        return new ApiException(503, "service_unavailable", message, null, null);
    }
}

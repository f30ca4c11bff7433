package dev.osprey.api.inference;

/**
 * A request the session refuses as it is (a prompt beyond the context length, an unknown adapter, a
 * sampling value out of range): the HTTP layer answers 400 with OpenAI's error shape, naming
 * {@link #param()}.
 */
public class InvalidRequestException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String param;

    /** @param param the request field at fault (OpenAI's {@code param}), or null */
    public InvalidRequestException(String message, String param) {
        super(message);
        this.param = param;
    }

    /** The request field at fault, or null. */
    public String param() {
        return param;
    }
}

package dev.osprey.media;

/** A media reference that cannot be loaded, decoded or processed; the message names the reference and what failed. */
public class MediaException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public MediaException(String message) {
        super(message);
    }

    public MediaException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.osprey.hub;

import java.io.IOException;

/**
 * A model could not be located, downloaded or uploaded. The message is meant for the user: it names the model
 * or file, what was tried (paths, URLs) and why it failed; {@link #reason()} classifies it for code.
 */
public class HubException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Why a lookup or download failed. */
    public enum Reason {
        /** The value is neither an existing path nor a well-formed hub model id. */
        INVALID_ID,
        /** Not local, not cached, and offline mode forbids downloading. */
        OFFLINE,
        /** HTTP 401/403: the repository is gated or private, or the token is missing or invalid. */
        UNAUTHORIZED,
        /** HTTP 404 (or the hub's own "not found"): no such repository, revision or file. */
        NOT_FOUND,
        /** HTTP 409: the repository already exists as something else, or the branch moved during a commit. */
        CONFLICT,
        /** A downloaded file does not match the size or sha256 the hub announced. */
        INTEGRITY,
        /** Connection refused, reset or dropped, DNS failure, timeout. */
        NETWORK,
        /** Any other unexpected answer from the hub (5xx, malformed JSON, missing headers). */
        PROTOCOL,
        /** Reading or writing the local cache failed. */
        LOCAL_IO
    }

    private final Reason reason;

    public HubException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public HubException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}

package dev.osprey.api.inference;

import org.osgi.annotation.versioning.ConsumerType;

/** A submitted generation. */
@ConsumerType
public interface GenerationHandle {

    /** Stops the generation (for instance the client disconnected) and frees its cache; idempotent. */
    void cancel();

    boolean isDone();
}

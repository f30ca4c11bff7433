package dev.osprey.api.model;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The keys and values a model keeps between decoding steps for a batch of sequences. Created by the
 * model that uses it; opaque to everyone else. Not thread-safe: one decoding loop owns it. Closing it
 * frees its arrays.
 */
@ConsumerType
public interface KvCache extends AutoCloseable {

    /** How many positions are cached. */
    int length();

    @Override
    void close();
}

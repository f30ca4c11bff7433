package dev.osprey.api.inference;

import org.osgi.annotation.versioning.ConsumerType;

import dev.osprey.api.Extension;

/**
 * A way to run generation: {@code djl} (the built-in engine), {@code vllm}, {@code sglang},
 * {@code lmdeploy}, {@code remote} ({@link #name()}, as in {@code --infer_backend}).
 *
 * <p>The backend is a factory; each {@link InferenceSession} it opens serves one model. Thread-safe. When
 * a backend's bundle goes away, the server stops sending it new requests, lets the requests in flight
 * finish when the classes allow it, and closes its sessions; clients of a server with no backend left
 * get HTTP 503.
 */
@ConsumerType
public interface InferenceBackend extends Extension {

    /**
     * Starts serving; may take long (loading weights, starting a child process and waiting for it to be
     * healthy).
     *
     * @throws Exception with a message that names the missing model, program or setting
     */
    InferenceSession open(BackendOptions options) throws Exception;
}

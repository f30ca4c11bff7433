package dev.osprey.api.inference;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ConsumerType;

import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.Conversation;

/**
 * One model being served by one backend: whatever the backend holds for it (weights and a scheduler, a
 * child process, a connection to a remote server).
 *
 * <p>{@link #generate} is called from many threads at once. When the server swaps backends it opens a
 * session on the new backend, sends new requests there, waits for this session's requests in flight to
 * finish, and then closes it.
 */
@ConsumerType
public interface InferenceSession extends AutoCloseable {

    /** The base model and its adapters. */
    List<ServedModel> models();

    /**
     * Queues a generation and returns at once; the result arrives through {@code listener}. A request
     * beyond the session's limits waits in its queue rather than failing.
     */
    GenerationHandle generate(GenerationRequest request, GenerationListener listener);

    /** Adds a LoRA adapter at runtime. */
    default void loadAdapter(String name, String path) {
        throw new UnsupportedOperationException("this backend cannot load LoRA adapters at runtime");
    }

    /** Removes a LoRA adapter; requests already using it finish first. */
    default void unloadAdapter(String name) {
        throw new UnsupportedOperationException("this backend cannot unload LoRA adapters at runtime");
    }

    /**
     * The token ids of a prompt as this session would read it: {@code text}, or the conversation
     * rendered by the model's chat template with the generation prompt added when {@code conversation}
     * is set (exactly one of the two). For {@code POST /tokenize}, and for counting before generating.
     *
     * @throws InvalidRequestException for an unknown model name
     */
    default List<Integer> tokenize(String model, String text, Conversation conversation) {
        throw new UnsupportedOperationException("this backend cannot tokenize");
    }

    /**
     * The chat template this session renders conversations for {@code model} with, so that a server can read
     * completions back ({@link ChatTemplate#parseCompletion}: reasoning, tool calls) and force a tool call; empty
     * when the session does not render them itself (a remote server).
     */
    default Optional<ChatTemplate> chatTemplate(String model) {
        return Optional.empty();
    }

    /** The text of token ids, for {@code POST /detokenize}. */
    default String detokenize(String model, List<Integer> tokenIds) {
        throw new UnsupportedOperationException("this backend cannot detokenize");
    }

    /** What the scheduler holds now, or empty when the backend cannot tell (a remote server). */
    default Optional<SessionStats> stats() {
        return Optional.empty();
    }

    /** True while the session can take requests. */
    boolean healthy();

    /** Cancels what is still running and frees everything the session holds. */
    @Override
    void close();
}

package dev.osprey.api.dataset;

import java.nio.file.Path;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import dev.osprey.api.chat.Conversation;

/**
 * Reads a dataset as the training pipeline does: a JSON lines, JSON or CSV file (or a folder of them) in any of
 * ms-swift's formats (messages, sharegpt, alpaca, query/response), each row as its conversation. Thread-safe.
 */
@ProviderType
public interface DatasetService {

    /**
     * The rows of {@code dataset}, in order, each as its conversation (a system message first when the row has
     * one, and the tools offered).
     *
     * @throws IllegalArgumentException naming the file and line of a row that cannot be read, or a missing file
     */
    List<Conversation> conversations(Path dataset);
}

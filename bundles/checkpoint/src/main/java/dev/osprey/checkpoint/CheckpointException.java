package dev.osprey.checkpoint;

import java.nio.file.Path;

/**
 * A model-folder file whose contents are wrong: truncated, lying about its sizes, malformed JSON, a
 * missing or wrongly typed field. It is an {@link IllegalArgumentException} because the fault is in the
 * input, not in Osprey; the message always starts with the file, so a user with a folder of dozens of
 * shards knows which one to fetch again, and goes on to name the tensor or field at fault.
 */
public class CheckpointException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /** A problem in {@code file}; the message is prefixed with the file's name and path. */
    public CheckpointException(Path file, String message) {
        super(describe(file) + ": " + message);
        this.file = file;
    }

    /** As {@link #CheckpointException(Path, String)}, keeping the underlying cause (a JSON parse error). */
    public CheckpointException(Path file, String message, Throwable cause) {
        super(describe(file) + ": " + message, cause);
        this.file = file;
    }

    /** The file at fault, or {@code null} for a configuration built in memory. */
    public Path file() {
        return file;
    }

    /** {@code config.json (/models/qwen/config.json)}: the short name first, which is what users scan for. */
    static String describe(Path file) {
        if (file == null) {
            return "(in memory)";
        }
        Path name = file.getFileName();
        if (name == null || name.toString().equals(file.toString())) {
            return file.toString();
        }
        return name + " (" + file + ")";
    }
}

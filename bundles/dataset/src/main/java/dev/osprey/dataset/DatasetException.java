package dev.osprey.dataset;

/**
 * A problem with a dataset's contents or its command-line value; the message starts with
 * {@code file:line} where there is one.
 */
public class DatasetException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String source;

    /**
     * @param source {@code file:line}, or a file, or empty when the problem has no place in a file
     * @param problem what is wrong
     */
    public DatasetException(String source, String problem) {
        super(source == null || source.isEmpty() ? problem : source + ": " + problem);
        this.source = source == null ? "" : source;
    }

    /** {@code file:line}, or a file, or empty. */
    public String source() {
        return source;
    }
}

package dev.osprey.hub;

/**
 * Listener for file downloads. The hubs download one file at a time and call, per file,
 * {@link #started}, then optionally {@link #resumed} (a partial download is continued), then any
 * number of {@link #advanced}, then {@link #finished} or {@link #failed}. Implementations only
 * render; they must not throw.
 */
public interface DownloadProgress {

    /** A listener that ignores everything. */
    DownloadProgress NONE = new DownloadProgress() {
        @Override
        public void started(String name, long totalBytes) {}

        @Override
        public void advanced(long bytes) {}

        @Override
        public void finished(String name) {}
    };

    /**
     * A file download begins.
     *
     * @param name the file's path inside the repository
     * @param totalBytes the file's size, or -1 when unknown
     */
    void started(String name, long totalBytes);

    /**
     * The download of the current file continues a partial download of {@code bytesAlreadyThere}
     * bytes (from a previous run or a retry). By default counted as {@link #advanced}; a renderer
     * that shows a transfer rate should override it so that these bytes do not count as speed.
     */
    default void resumed(long bytesAlreadyThere) {
        advanced(bytesAlreadyThere);
    }

    /** {@code bytes} more bytes of the current file arrived (an increment, not a total). */
    void advanced(long bytes);

    /** The current file is complete and verified. */
    void finished(String name);

    /** The current file failed; nothing more will be reported for it. */
    default void failed(String name, Exception cause) {}
}

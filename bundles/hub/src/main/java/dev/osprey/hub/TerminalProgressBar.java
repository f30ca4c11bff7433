package dev.osprey.hub;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Draws download progress on a terminal: one line per file with percent, bytes, MB/s and ETA. On an
 * interactive terminal ({@code System.console() != null}) the line is redrawn in place with
 * {@code \r} at most every 100 ms; otherwise (logs, pipes) a plain line is printed every few seconds
 * and when the file is done. The text of a line comes from {@link #render}, free of any I/O.
 */
public final class TerminalProgressBar implements DownloadProgress {

    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean interactive;
    private final LongSupplier clock;
    private final long plainIntervalNanos;

    private String name;
    private long total;
    private long done;
    private long resumedBytes;
    private long startNanos;
    private long lastDrawNanos;
    private int lastLength;

    /** On {@code System.out}; interactive when {@code System.console() != null}. */
    public TerminalProgressBar() {
        this(System.out, System.console() != null);
    }

    public TerminalProgressBar(PrintStream out, boolean interactive) {
        this(out, interactive, System::nanoTime, 5_000);
    }

    /**
     * @param clock nanosecond clock (for tests)
     * @param plainIntervalMillis how often a non-interactive line is printed while a file downloads
     */
    public TerminalProgressBar(PrintStream out, boolean interactive, LongSupplier clock, long plainIntervalMillis) {
        this.out = out;
        this.interactive = interactive;
        this.clock = clock;
        this.plainIntervalNanos = plainIntervalMillis * 1_000_000L;
    }

    @Override
    public synchronized void started(String fileName, long totalBytes) {
        name = fileName;
        total = totalBytes;
        done = 0;
        resumedBytes = 0;
        startNanos = clock.getAsLong();
        lastDrawNanos = startNanos;
        lastLength = 0;
        if (interactive) {
            draw();
        }
    }

    @Override
    public synchronized void resumed(long bytesAlreadyThere) {
        done += bytesAlreadyThere;
        resumedBytes += bytesAlreadyThere;
    }

    @Override
    public synchronized void advanced(long bytes) {
        done += bytes;
        long now = clock.getAsLong();
        if (now - lastDrawNanos >= (interactive ? REDRAW_NANOS : plainIntervalNanos)) {
            lastDrawNanos = now;
            draw();
        }
    }

    @Override
    public synchronized void finished(String fileName) {
        if (total >= 0) {
            done = Math.max(done, total);
        }
        draw();
        if (interactive) {
            out.println();
        }
        out.flush();
    }

    @Override
    public synchronized void failed(String fileName, Exception cause) {
        String line = render(fileName, done, total, rate(), clock.getAsLong() - startNanos) + "  failed";
        if (interactive) {
            out.print("\r" + pad(line));
            out.println();
        } else {
            out.println(line);
        }
        out.flush();
    }

    private double rate() {
        double seconds = (clock.getAsLong() - startNanos) / 1e9;
        return seconds <= 0 ? 0 : (done - resumedBytes) / seconds;
    }

    private void draw() {
        String line = render(name, done, total, rate(), clock.getAsLong() - startNanos);
        if (interactive) {
            out.print("\r" + pad(line));
        } else {
            out.println(line);
        }
        out.flush();
    }

    private String pad(String line) {
        int width = line.length();
        String padded = width < lastLength ? line + " ".repeat(lastLength - width) : line;
        lastLength = width;
        return padded;
    }

    /**
     * One progress line, e.g. {@code model.safetensors  42%  105.0 MB / 250.0 MB  12.3 MB/s  ETA 0:12}.
     *
     * @param total -1 when unknown (no percent, no ETA)
     * @param bytesPerSecond the transfer rate
     * @param elapsedNanos time since the file started
     */
    public static String render(String name, long done, long total, double bytesPerSecond, long elapsedNanos) {
        StringBuilder sb = new StringBuilder(name == null ? "" : name);
        if (total >= 0) {
            int percent = total == 0 ? 100 : (int) Math.min(100, done * 100 / total);
            sb.append(String.format(Locale.ROOT, "  %3d%%  %s / %s", percent, bytes(done), bytes(total)));
        } else {
            sb.append("  ").append(bytes(done));
        }
        sb.append(String.format(Locale.ROOT, "  %.1f MB/s", bytesPerSecond / 1e6));
        if (total >= 0 && done >= total) {
            sb.append("  in ").append(duration(elapsedNanos / 1_000_000_000L));
        } else if (total >= 0 && bytesPerSecond > 0) {
            sb.append("  ETA ").append(duration((long) Math.ceil((total - done) / bytesPerSecond)));
        } else {
            sb.append("  ETA --:--");
        }
        return sb.toString();
    }

    /** 512 B, 1.5 kB, 105.0 MB, 1.25 GB (decimal units). */
    public static String bytes(long n) {
        if (n < 1000) {
            return n + " B";
        }
        if (n < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f kB", n / 1e3);
        }
        if (n < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f GB", n / 1e9);
    }

    /** m:ss or h:mm:ss. */
    public static String duration(long seconds) {
        long h = seconds / 3600;
        long m = seconds % 3600 / 60;
        long s = seconds % 60;
        return h > 0
                ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
                : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}

package dev.osprey.dataset;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one rule for rows that cannot become training examples, wherever the problem is found: while reading
 * (bad JSON, an unknown format) or while encoding (no assistant answer, nothing left to train on). As
 * ms-swift's {@code strict}: strict, the first bad row fails with a {@link DatasetException} naming
 * {@code file:line}; not strict, each is skipped and counted, and the first few problems are kept for the
 * summary a job prints. Thread-safe.
 */
public final class BadRows {

    private final boolean skip;
    private final int maxKept;
    private final AtomicLong skipped = new AtomicLong();
    private final List<String> kept = new ArrayList<>();

    /**
     * @param skip skip and count bad rows instead of failing on the first ({@code --strict false})
     * @param maxKept how many problems {@link #problems()} keeps
     */
    public BadRows(boolean skip, int maxKept) {
        if (maxKept < 0) {
            throw new IllegalArgumentException("maxKept must be >= 0: " + maxKept);
        }
        this.skip = skip;
        this.maxKept = maxKept;
    }

    /** The rule of these options: {@link DatasetOptions#skipBadRows()} and {@link DatasetOptions#maxProblems()}. */
    public static BadRows of(DatasetOptions options) {
        return new BadRows(options.skipBadRows(), options.maxProblems());
    }

    /**
     * A bad row: skipped and counted, or thrown.
     *
     * @throws DatasetException {@code problem} itself, unless bad rows are skipped
     */
    public void report(DatasetException problem) {
        if (!skip) {
            throw problem;
        }
        skipped.incrementAndGet();
        synchronized (kept) {
            if (kept.size() < maxKept) {
                kept.add(problem.getMessage());
            }
        }
    }

    /** {@link #report(DatasetException)} for the row at {@code source} ({@code file:line}). */
    public void report(String source, String problem) {
        report(new DatasetException(source, problem));
    }

    /**
     * Runs {@code encode} for one row under this rule: a {@link DatasetException} it throws is reported, and
     * (when skipped) the row yields nothing.
     */
    public <T> Optional<T> attempt(Supplier<Optional<T>> encode) {
        try {
            return encode.get();
        } catch (DatasetException e) {
            report(e);
            return Optional.empty();
        }
    }

    /** {@code encode} under this rule, row by row (see {@link #attempt}). */
    public <R, T> Function<R, Optional<T>> skipping(Function<R, Optional<T>> encode) {
        return row -> attempt(() -> encode.apply(row));
    }

    /** Whether bad rows are skipped rather than fatal. */
    public boolean skips() {
        return skip;
    }

    /** The rows skipped so far. */
    public long count() {
        return skipped.get();
    }

    /** The first problems, each starting with {@code file:line}. */
    public List<String> problems() {
        synchronized (kept) {
            return List.copyOf(kept);
        }
    }

    /**
     * One line for the job's output, naming each skipped row kept (then how many more), e.g.
     * {@code skipped 2 bad rows (--strict false): a.jsonl:4: no tokens left to train on ...; a.jsonl:7: bad JSON: ...};
     * empty when none was skipped.
     */
    public String summary() {
        long count = count();
        if (count == 0) {
            return "";
        }
        List<String> named = problems();
        return "skipped " + count + " bad row" + (count == 1 ? "" : "s") + " (--strict false): "
                + String.join("; ", named) + (count > named.size() ? "; and " + (count - named.size()) + " more" : "");
    }
}

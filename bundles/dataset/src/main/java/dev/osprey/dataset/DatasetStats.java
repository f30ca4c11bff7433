package dev.osprey.dataset;

import java.util.List;

/**
 * What a {@link DatasetReader} has read so far.
 *
 * @param rowsRead rows turned into {@link DatasetRow}s
 * @param rowsSkipped bad rows skipped (only with {@link DatasetOptions#skipBadRows()}), see {@link BadRows}
 * @param problems the first {@link DatasetOptions#maxProblems()} problems, each starting with {@code file:line}
 */
public record DatasetStats(long rowsRead, long rowsSkipped, List<String> problems) {

    public DatasetStats {
        problems = List.copyOf(problems);
    }
}

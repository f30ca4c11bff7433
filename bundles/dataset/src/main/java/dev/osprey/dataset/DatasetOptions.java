package dev.osprey.dataset;

import java.util.Map;

/**
 * How to read datasets; {@link #defaults()} follows ms-swift's defaults.
 *
 * @param columns {@code --columns}: column renaming old name to new name, applied to every row before its
 *        format is detected (e.g. {@code question -> query}, {@code answer -> response})
 * @param skipBadRows skip and count bad rows instead of failing on the first (ms-swift's {@code strict=False})
 * @param seed the seed of {@code path#N} sampling, of shuffling and of the validation split (ms-swift's
 *        {@code data_seed}, 42)
 * @param shuffle shuffle the mixed datasets (ms-swift's {@code dataset_shuffle}, true)
 * @param splitDatasetRatio the share of rows held out for validation, in [0, 1); 0 for none
 * @param maxProblems how many problems {@link DatasetStats#problems()} keeps
 */
public record DatasetOptions(
        Map<String, String> columns,
        boolean skipBadRows,
        long seed,
        boolean shuffle,
        double splitDatasetRatio,
        int maxProblems) {

    public DatasetOptions {
        columns = columns == null ? Map.of() : Map.copyOf(columns);
        if (!(splitDatasetRatio >= 0 && splitDatasetRatio < 1)) {
            throw new IllegalArgumentException("splitDatasetRatio must be in [0, 1): " + splitDatasetRatio);
        }
        if (maxProblems < 0) {
            throw new IllegalArgumentException("maxProblems must be >= 0: " + maxProblems);
        }
    }

    /** No renaming, fail on the first bad row, seed 42, shuffle, no validation split, keep 10 problems. */
    public static DatasetOptions defaults() {
        return new DatasetOptions(Map.of(), false, 42, true, 0.0, 10);
    }

    public DatasetOptions withColumns(Map<String, String> newColumns) {
        return new DatasetOptions(newColumns, skipBadRows, seed, shuffle, splitDatasetRatio, maxProblems);
    }

    public DatasetOptions withSkipBadRows(boolean skip) {
        return new DatasetOptions(columns, skip, seed, shuffle, splitDatasetRatio, maxProblems);
    }

    public DatasetOptions withSeed(long newSeed) {
        return new DatasetOptions(columns, skipBadRows, newSeed, shuffle, splitDatasetRatio, maxProblems);
    }

    public DatasetOptions withShuffle(boolean newShuffle) {
        return new DatasetOptions(columns, skipBadRows, seed, newShuffle, splitDatasetRatio, maxProblems);
    }

    public DatasetOptions withSplitDatasetRatio(double ratio) {
        return new DatasetOptions(columns, skipBadRows, seed, shuffle, ratio, maxProblems);
    }

    public DatasetOptions withMaxProblems(int max) {
        return new DatasetOptions(columns, skipBadRows, seed, shuffle, splitDatasetRatio, max);
    }
}

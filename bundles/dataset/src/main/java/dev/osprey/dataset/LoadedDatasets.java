package dev.osprey.dataset;

import java.util.List;

/**
 * Datasets read, sampled, mixed and split.
 *
 * @param train the training rows
 * @param validation the held-out rows; empty when {@link DatasetOptions#splitDatasetRatio()} is 0
 * @param stats what was read and skipped
 */
public record LoadedDatasets(List<DatasetRow> train, List<DatasetRow> validation, DatasetStats stats) {

    public LoadedDatasets {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }
}

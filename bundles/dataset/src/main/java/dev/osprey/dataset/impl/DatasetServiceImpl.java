package dev.osprey.dataset.impl;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.chat.Conversation;
import dev.osprey.api.dataset.DatasetService;
import dev.osprey.dataset.DatasetReader;
import dev.osprey.dataset.DatasetRow;

/** The {@link DatasetService}: the training pipeline's reader with its default options, rows as conversations. */
@Component
public class DatasetServiceImpl implements DatasetService {

    @Override
    public List<Conversation> conversations(Path dataset) {
        try (Stream<DatasetRow> rows = new DatasetReader().stream(dataset)) {
            return rows.map(DatasetRow::conversation).toList();
        }
    }
}

package dev.osprey.eval.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A benchmark's JSON-lines file: one JSON object a line, blank lines skipped, each line read into one item. */
final class JsonLines {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One line's item; {@code index} counts the items read before it, {@code line} is its line number from 1. */
    @FunctionalInterface
    interface RowReader<T> {
        T read(JsonNode row, int index, int line) throws IOException;
    }

    private JsonLines() {}

    /**
     * The items of {@code file}'s lines, in file order.
     *
     * @throws IOException naming the file and line of one that is not JSON
     */
    static <T> List<T> read(Path file, RowReader<T> reader) throws IOException {
        List<T> items = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (int n = 0; n < lines.size(); n++) {
            if (lines.get(n).isBlank()) {
                continue;
            }
            JsonNode row;
            try {
                row = JSON.readTree(lines.get(n));
            } catch (JsonProcessingException e) {
                throw new IOException(file + " line " + (n + 1) + ": not JSON: " + e.getOriginalMessage(), e);
            }
            items.add(reader.read(row, items.size(), n + 1));
        }
        return items;
    }
}

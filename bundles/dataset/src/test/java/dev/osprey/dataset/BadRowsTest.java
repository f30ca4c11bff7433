package dev.osprey.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bad-row rule that reading and encoding share. */
class BadRowsTest {

    @TempDir
    Path dir;

    @Test
    void strictThrowsTheRowsOwnProblem() {
        BadRows strict = new BadRows(false, 10);
        DatasetException problem = new DatasetException("a.jsonl:3", "no tokens left to train on");
        assertSame(problem, assertThrows(DatasetException.class, () -> strict.report(problem)));
        assertEquals(0, strict.count());
        assertEquals("", strict.summary());
    }

    @Test
    void notStrictNamesTheFirstFewThenCountsTheRest() {
        BadRows skipping = new BadRows(true, 2);
        for (int line = 1; line <= 4; line++) {
            skipping.report("a.jsonl:" + line, "no tokens left to train on");
        }
        assertEquals(4, skipping.count());
        assertEquals(
                "skipped 4 bad rows (--strict false): a.jsonl:1: no tokens left to train on; a.jsonl:2: no tokens left to train on;"
                        + " and 2 more",
                skipping.summary());
        assertEquals(
                "skipped 1 bad row (--strict false): b.jsonl:7: x",
                one("b.jsonl:7", "x").summary());
    }

    private static BadRows one(String source, String problem) {
        BadRows rows = new BadRows(true, 10);
        rows.report(source, problem);
        return rows;
    }

    @Test
    void readingAndEncodingShareOneTally() throws Exception {
        Path file = dir.resolve("d.jsonl");
        Files.writeString(file, "{\"query\": \"a\", \"response\": \"b\"}\n{broken\n{\"query\": \"c\"}\n");
        DatasetReader reader = new DatasetReader(DatasetOptions.defaults().withSkipBadRows(true));
        List<String> encoded;
        try (Stream<DatasetRow> rows = reader.stream(file)) {
            encoded = rows.map(reader.badRows().skipping((DatasetRow row) -> {
                        if (row.completion().isEmpty()) {
                            throw new DatasetException(row.source(), "no answer");
                        }
                        return Optional.of(row.completion().get(0).text());
                    }))
                    .flatMap(Optional::stream)
                    .toList();
        }
        assertEquals(List.of("b"), encoded);
        assertEquals(2, reader.stats().rowsSkipped());
        assertTrue(
                reader.stats().problems().get(0).startsWith(file + ":2: bad JSON"),
                reader.stats().toString());
        assertEquals(file + ":3: no answer", reader.stats().problems().get(1));
    }
}

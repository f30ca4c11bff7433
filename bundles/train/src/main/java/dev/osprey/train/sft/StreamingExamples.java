package dev.osprey.train.sft;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import dev.osprey.dataset.DatasetReader;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.dataset.DatasetSpec;
import dev.osprey.train.loop.ItemSource;

/**
 * {@code --streaming}: examples read and encoded as training goes, never the whole dataset in memory,
 * in the order of Hugging Face's streaming datasets: the files one after another ({@code PATH#N} takes
 * the first N rows), shuffled through a buffer of {@code --shuffle_buffer_size} examples, starting over
 * (a new epoch, a new shuffle) at the end. Rows that truncation drops are skipped.
 */
public final class StreamingExamples implements ItemSource<SftExample>, AutoCloseable {

    private final List<DatasetSpec> specs;
    private final DatasetReader reader;
    private final Function<DatasetRow, Optional<SftExample>> encode;
    private final int bufferSize;
    private final Random random;
    private final List<SftExample> buffer = new ArrayList<>();
    private Stream<SftExample> stream;
    private Iterator<SftExample> rows;
    private long epochs;

    public StreamingExamples(
            List<DatasetSpec> specs,
            DatasetReader reader,
            Function<DatasetRow, Optional<SftExample>> encode,
            int bufferSize,
            long seed) {
        if (bufferSize <= 0) {
            throw new IllegalArgumentException("--shuffle_buffer_size must be positive, was " + bufferSize);
        }
        this.specs = List.copyOf(specs);
        this.reader = reader;
        this.encode = encode;
        this.bufferSize = bufferSize;
        this.random = new Random(seed);
    }

    @Override
    public SftExample next() {
        fill();
        if (buffer.isEmpty()) {
            close();
            epochs++;
            fill();
            if (buffer.isEmpty()) {
                throw new IllegalArgumentException(
                        "no training rows in " + specs + " (each is longer than --max_length, or the files are empty)");
            }
        }
        int pick = random.nextInt(buffer.size());
        SftExample chosen = buffer.get(pick);
        buffer.set(pick, buffer.get(buffer.size() - 1));
        buffer.remove(buffer.size() - 1);
        return chosen;
    }

    /** Complete passes over the data so far. */
    public long epochs() {
        return epochs;
    }

    private void fill() {
        if (rows == null) {
            stream = specs.stream().flatMap(this::rowsOf).map(encode).flatMap(Optional::stream);
            rows = stream.iterator();
        }
        while (buffer.size() < bufferSize && rows.hasNext()) {
            buffer.add(rows.next());
        }
    }

    private Stream<DatasetRow> rowsOf(DatasetSpec spec) {
        Stream<DatasetRow> s = reader.stream(Path.of(spec.path()));
        return spec.sample().isPresent() ? s.limit(spec.sample().getAsInt()) : s;
    }

    @Override
    public void close() {
        if (stream != null) {
            stream.close();
        }
        stream = null;
        rows = null;
    }
}

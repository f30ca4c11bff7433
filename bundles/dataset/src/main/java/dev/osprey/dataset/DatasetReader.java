package dev.osprey.dataset;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Random;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads datasets: JSON Lines ({@code .jsonl}), JSON ({@code .json}: an array of objects, or JSON Lines as
 * Hugging Face's loader also accepts), CSV with a header row ({@code .csv}), plain text ({@code .txt}, one
 * pretraining row per non-blank line) and folders of them (walked recursively, in sorted order; other
 * files and hidden entries are ignored).
 *
 * <p>{@link #stream(Path)} reads lazily, one row at a time, for every format. {@link #read(DatasetSpec)}
 * and {@link #load(List)} hold the rows in memory, as sampling, shuffling and splitting need.
 *
 * <p>A bad row fails with a {@link DatasetException} naming {@code file:line}, unless
 * {@link DatasetOptions#skipBadRows()}, which skips and counts it in {@link #stats()}; {@link #badRows()} is
 * that rule and tally, for the problems a job finds later while encoding the rows it read. Not thread-safe for
 * concurrent reads except for {@link #stats()}.
 */
public final class DatasetReader {

    private final DatasetOptions options;
    private final RowConverter converter;
    private final AtomicLong rowsRead = new AtomicLong();
    private final BadRows badRows;

    /**
     * @param badRows where bad rows go: shared by the readers of one job (training and validation files) so
     *        that its summary counts them all
     */
    public DatasetReader(DatasetOptions options, BadRows badRows) {
        this.options = Objects.requireNonNull(options, "options");
        this.converter = new RowConverter(options.columns());
        this.badRows = Objects.requireNonNull(badRows, "badRows");
    }

    public DatasetReader(DatasetOptions options) {
        this(options, BadRows.of(options));
    }

    public DatasetReader() {
        this(DatasetOptions.defaults());
    }

    public DatasetOptions options() {
        return options;
    }

    /**
     * The rows read and the bad rows skipped (those found while encoding included), and the first problems,
     * since this reader was made.
     */
    public DatasetStats stats() {
        return new DatasetStats(rowsRead.get(), badRows.count(), badRows.problems());
    }

    /** What happens to a bad row, and the tally of those skipped: also for rows found bad after reading. */
    public BadRows badRows() {
        return badRows;
    }

    /**
     * The rows of a file or folder, read lazily: a JSONL, JSON, CSV or TXT file is never held whole in memory.
     * Close the stream (try-with-resources) to close the file when not reading to the end.
     *
     * @throws DatasetException when the path does not exist, is a hub id, or has an unknown extension; and,
     *         while streaming, at the first bad row unless {@link DatasetOptions#skipBadRows()}
     */
    public Stream<DatasetRow> stream(Path path) {
        List<Path> files = files(path);
        return files.stream().flatMap(this::streamFile);
    }

    /** All rows of one {@code --dataset} value, sampled when it has {@code #N}. */
    public List<DatasetRow> read(DatasetSpec spec) {
        return read(spec, new Random(options.seed()));
    }

    private List<DatasetRow> read(DatasetSpec spec, Random random) {
        List<DatasetRow> rows;
        try (Stream<DatasetRow> s = stream(resolve(spec))) {
            rows = s.toList();
        }
        if (spec.sample().isEmpty()) {
            return rows;
        }
        if (rows.isEmpty()) {
            throw new DatasetException(
                    spec.path(), "cannot take a sample of " + spec.sample().getAsInt() + " rows: no rows");
        }
        return sample(rows, spec.sample().getAsInt(), random);
    }

    /**
     * Reads several datasets, samples those with {@code #N}, concatenates them, shuffles the whole (when
     * {@link DatasetOptions#shuffle()}) and holds out {@code ceil(ratio * size)} rows for validation.
     * The same files and options give the same result.
     */
    public LoadedDatasets load(List<DatasetSpec> specs) {
        if (specs.isEmpty()) {
            throw new DatasetException("", "no dataset given");
        }
        Random random = new Random(options.seed());
        List<DatasetRow> all = new ArrayList<>();
        for (DatasetSpec spec : specs) {
            all.addAll(read(spec, random));
        }
        if (options.shuffle()) {
            Collections.shuffle(all, random);
        }
        List<DatasetRow> validation = List.of();
        List<DatasetRow> train = all;
        if (options.splitDatasetRatio() > 0) {
            int n = all.size();
            int nVal = (int) Math.ceil(options.splitDatasetRatio() * n);
            if (nVal >= n) {
                throw new DatasetException(
                        "",
                        "splitDatasetRatio " + options.splitDatasetRatio() + " of " + n
                                + " rows leaves no training rows");
            }
            // shuffled: the first rows; not shuffled: the last rows
            validation = options.shuffle() ? all.subList(0, nVal) : all.subList(n - nVal, n);
            train = options.shuffle() ? all.subList(nVal, n) : all.subList(0, n - nVal);
        }
        return new LoadedDatasets(train, validation, stats());
    }

    /**
     * ms-swift's {@code sample_dataset}: {@code n // size} whole copies of the dataset, then the first
     * {@code n % size} rows of a random permutation; so {@code n < size} is a sample without replacement and
     * {@code n > size} repeats every row before drawing the rest.
     */
    static <T> List<T> sample(List<T> rows, int n, Random random) {
        int size = rows.size();
        List<T> out = new ArrayList<>(n);
        for (int r = 0; r < n / size; r++) {
            out.addAll(rows);
        }
        int remain = n % size;
        if (remain > 0) {
            List<Integer> perm = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                perm.add(i);
            }
            Collections.shuffle(perm, random);
            for (int i = 0; i < remain; i++) {
                out.add(rows.get(perm.get(i)));
            }
        }
        return out;
    }

    // ---- files

    private static Path resolve(DatasetSpec spec) {
        Path p = Path.of(spec.path());
        if (!Files.exists(p)) {
            if (spec.looksLikeHubId()) {
                throw new DatasetException(
                        spec.path(),
                        "no such file or folder, and hub datasets (ModelScope or Hugging Face"
                                + " ids such as org/name) are not supported: the hub module downloads models only, for now."
                                + " Download the dataset and pass its local path");
            }
            throw new DatasetException(spec.path(), "no such file or folder");
        }
        return p;
    }

    private static List<Path> files(Path path) {
        if (!Files.exists(path)) {
            return files(resolve(new DatasetSpec(path.toString(), null)));
        }
        if (!Files.isDirectory(path)) {
            if (format(path) == null) {
                throw new DatasetException(
                        path.toString(), "unknown dataset file type; expected .jsonl, .json, .csv or .txt");
            }
            return List.of(path);
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(path)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(f -> !hidden(path.relativize(f)))
                    .filter(f -> format(f) != null)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (files.isEmpty()) {
            throw new DatasetException(path.toString(), "the folder holds no .jsonl, .json, .csv or .txt file");
        }
        return files;
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static String format(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        for (String ext : new String[] {"jsonl", "json", "csv", "txt"}) {
            if (name.endsWith("." + ext)) {
                return ext;
            }
        }
        return null;
    }

    /** A raw row: a JSON object, or the problem that kept it from being one. */
    private record Raw(ObjectNode node, long line, String problem) {}

    /**
     * An iterator over a file's raw rows that owns the file: {@code hasNext()} reads ahead into
     * {@code pending} (setting {@code done} at the end), {@code next()} hands it out.
     */
    private abstract static class RawSource implements Iterator<Raw>, AutoCloseable {
        Raw pending;
        boolean done;

        @Override
        public Raw next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Raw r = pending;
            pending = null;
            return r;
        }

        @Override
        public abstract void close() throws IOException;
    }

    private Stream<DatasetRow> streamFile(Path file) {
        RawSource raws;
        try {
            BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
            raws = switch (format(file)) {
                case "jsonl" -> jsonLines(in);
                case "json" -> json(in);
                case "csv" -> csv(in);
                default -> textLines(in);
            };
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        String name = file.toString();
        Iterator<DatasetRow> rows = new Iterator<>() {
            private DatasetRow next;

            @Override
            public boolean hasNext() {
                while (next == null && raws.hasNext()) {
                    Raw raw = raws.next();
                    String source = name + ":" + raw.line();
                    String problem = raw.problem();
                    if (problem == null) {
                        try {
                            next = converter.convert(raw.node(), source);
                            rowsRead.incrementAndGet();
                            return true;
                        } catch (RowConverter.RowException | DatasetException e) {
                            problem = e.getMessage();
                        }
                    }
                    badRows.report(source, problem);
                }
                return next != null;
            }

            @Override
            public DatasetRow next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                DatasetRow r = next;
                next = null;
                return r;
            }
        };
        return StreamSupport.stream(
                        Spliterators.spliteratorUnknownSize(rows, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(() -> {
                    try {
                        raws.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    // ---- formats

    private abstract static class LineSource extends RawSource {
        final BufferedReader in;
        long line;

        LineSource(BufferedReader in) {
            this.in = in;
        }

        abstract Raw parse(String text);

        @Override
        public boolean hasNext() {
            while (pending == null && !done) {
                String text;
                try {
                    text = in.readLine();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (text == null) {
                    done = true;
                    break;
                }
                line++;
                if (line == 1 && text.startsWith("\uFEFF")) {
                    text = text.substring(1);
                }
                if (!text.isBlank()) {
                    pending = parse(text);
                }
            }
            return pending != null;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static RawSource jsonLines(BufferedReader in) {
        return new LineSource(in) {
            @Override
            Raw parse(String text) {
                JsonNode node;
                try {
                    node = RowConverter.MAPPER.readTree(text);
                } catch (JsonProcessingException e) {
                    return new Raw(null, line, "bad JSON: " + e.getOriginalMessage());
                }
                if (!node.isObject()) {
                    return new Raw(null, line, "expected a JSON object, found " + RowConverter.abbreviate(node));
                }
                return new Raw((ObjectNode) node, line, null);
            }
        };
    }

    private static RawSource textLines(BufferedReader in) {
        return new LineSource(in) {
            @Override
            Raw parse(String text) {
                ObjectNode node = RowConverter.MAPPER.createObjectNode();
                node.put("text", text);
                return new Raw(node, line, null);
            }
        };
    }

    /** A JSON array of objects, parsed one element at a time; a file that does not start with '[' is JSON Lines. */
    private static RawSource json(BufferedReader in) throws IOException {
        in.mark(8192);
        int c;
        do {
            c = in.read();
        } while (c == '\uFEFF' || Character.isWhitespace(c));
        in.reset();
        if (c != '[') {
            return jsonLines(in);
        }
        JsonParser parser = RowConverter.MAPPER.createParser((Reader) in);
        return new RawSource() {
            private boolean started;

            @Override
            public boolean hasNext() {
                if (pending != null || done) {
                    return pending != null;
                }
                long line = parser.currentLocation().getLineNr();
                try {
                    if (!started) {
                        started = true;
                        parser.nextToken(); // START_ARRAY
                    }
                    JsonToken t = parser.nextToken();
                    JsonLocation at = parser.currentTokenLocation();
                    line = at.getLineNr();
                    if (t == null) {
                        done = true;
                        pending = new Raw(null, line, "bad JSON: the array is not closed");
                    } else if (t == JsonToken.END_ARRAY) {
                        done = true;
                        if (parser.nextToken() != null) {
                            pending = new Raw(
                                    null,
                                    parser.currentTokenLocation().getLineNr(),
                                    "bad JSON: text after the closing ]");
                        }
                    } else if (t == JsonToken.START_OBJECT) {
                        pending = new Raw((ObjectNode) RowConverter.MAPPER.readTree(parser), line, null);
                    } else {
                        parser.skipChildren();
                        pending = new Raw(null, line, "expected a JSON object in the array, found " + t.asString());
                    }
                } catch (JsonProcessingException e) {
                    done = true; // no way to find the next element after broken JSON
                    pending = new Raw(
                            null,
                            e.getLocation() == null ? line : e.getLocation().getLineNr(),
                            "bad JSON: " + e.getOriginalMessage());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return pending != null;
            }

            @Override
            public void close() throws IOException {
                parser.close();
                in.close();
            }
        };
    }

    private static RawSource csv(BufferedReader in) {
        CsvParser parser = new CsvParser(in);
        return new RawSource() {
            private List<String> header;

            @Override
            public boolean hasNext() {
                while (pending == null && !done) {
                    List<String> record;
                    try {
                        record = parser.next();
                    } catch (CsvParser.CsvFormatException e) {
                        done = true; // the rest of the file cannot be split into records reliably
                        pending = new Raw(null, e.line, "bad CSV: " + e.getMessage());
                        break;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    if (record == null) {
                        done = true;
                        break;
                    }
                    long line = parser.recordLine();
                    if (header == null) {
                        header = record;
                        continue;
                    }
                    if (record.size() != header.size()) {
                        pending = new Raw(
                                null,
                                line,
                                "bad CSV: " + record.size() + " fields but the header has " + header.size());
                        break;
                    }
                    ObjectNode node = RowConverter.MAPPER.createObjectNode();
                    for (int i = 0; i < header.size(); i++) {
                        if (!record.get(i).isEmpty()) { // an empty cell is a missing value, as pandas reads it
                            node.put(header.get(i), record.get(i));
                        }
                    }
                    pending = new Raw(node, line, null);
                }
                return pending != null;
            }

            @Override
            public void close() throws IOException {
                parser.close();
            }
        };
    }
}

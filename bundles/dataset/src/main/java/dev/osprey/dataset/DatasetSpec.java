package dev.osprey.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * One value of {@code --dataset}: a local file or folder, optionally with {@code #N} to take a sample of N
 * rows (ms-swift's {@code dataset_path#N}).
 *
 * <p>Hub datasets ({@code org/name} on ModelScope or Hugging Face) are not supported: the hub module
 * downloads models only, for now. {@link DatasetReader} reports a path that does not exist and looks like
 * such an id with a message saying so.
 *
 * @param path the file or folder
 * @param sample the number of rows to take; empty for all
 */
public record DatasetSpec(String path, OptionalInt sample) {

    private static final Pattern HUB_ID =
            Pattern.compile("(?:(?:ms|hf|MS|HF)::)?[A-Za-z0-9][\\w.-]*/[\\w.-]+(?::[\\w.-]+)?");

    public DatasetSpec {
        Objects.requireNonNull(path, "path");
        if (path.isBlank()) {
            throw new DatasetException("", "--dataset: empty path");
        }
        sample = sample == null ? OptionalInt.empty() : sample;
        if (sample.isPresent() && sample.getAsInt() <= 0) {
            throw new DatasetException(
                    "", "--dataset " + path + ": the sample size must be positive, not " + sample.getAsInt());
        }
    }

    /** Parses one value, {@code path} or {@code path#N}. */
    public static DatasetSpec parse(String value) {
        Objects.requireNonNull(value, "value");
        String v = value.strip();
        int hash = v.lastIndexOf('#');
        if (hash < 0) {
            return new DatasetSpec(v, OptionalInt.empty());
        }
        String count = v.substring(hash + 1);
        if (!count.matches("\\d+")) {
            throw new DatasetException(
                    "", "--dataset " + v + ": expected path#N with N a number of rows, found '#" + count + "'");
        }
        int n;
        try {
            n = Integer.parseInt(count);
        } catch (NumberFormatException e) {
            throw new DatasetException("", "--dataset " + v + ": sample size too large: " + count);
        }
        return new DatasetSpec(v.substring(0, hash), OptionalInt.of(n));
    }

    /** Parses several values separated by white space, as on a command line. */
    public static List<DatasetSpec> parseAll(String values) {
        List<DatasetSpec> specs = new ArrayList<>();
        for (String v : values.strip().split("\\s+")) {
            if (!v.isEmpty()) {
                specs.add(parse(v));
            }
        }
        return specs;
    }

    /** Parses a list of values, each one dataset (a path may then hold spaces). */
    public static List<DatasetSpec> parseAll(List<String> values) {
        List<DatasetSpec> specs = new ArrayList<>();
        for (String v : values) {
            if (!v.isBlank()) {
                specs.add(parse(v));
            }
        }
        return specs;
    }

    /** True when {@link #path()} does not exist here and looks like a hub id ({@code org/name}). */
    public boolean looksLikeHubId() {
        return !Files.exists(Path.of(path))
                && HUB_ID.matcher(path).matches()
                && !path.matches(".*\\.(jsonl|json|csv|txt)$");
    }

    @Override
    public String toString() {
        return sample.isPresent() ? path + "#" + sample.getAsInt() : path;
    }
}

package dev.osprey.checkpoint;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The JSON plumbing shared by the readers: one strict mapper (duplicate keys and trailing garbage are
 * errors, because a checkpoint file that says two things about one tensor is lying), documents as plain
 * unmodifiable maps and lists, and typed field access whose errors name the file and the field.
 */
final class Json {

    /** Strict: duplicate keys and anything after the document are errors. Thread-safe once built. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {}

    /** Reads {@code file}, which must hold one JSON object, as unmodifiable nested maps and lists. */
    static Map<String, Object> readObject(Path file) throws IOException {
        return parseObject(file, Files.readAllBytes(file), 0, -1, "");
    }

    /**
     * Parses {@code length} bytes from {@code offset} ({@code -1}: to the end) as one JSON object;
     * {@code what} prefixes the error, e.g. {@code "header "}.
     */
    static Map<String, Object> parseObject(Path file, byte[] bytes, int offset, int length, String what) {
        Object value;
        try {
            value = MAPPER.readValue(bytes, offset, length < 0 ? bytes.length - offset : length, Object.class);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file, what + "is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new CheckpointException(file, what + "could not be parsed: " + e.getMessage(), e);
        }
        if (!(value instanceof Map)) {
            throw new CheckpointException(file, what + "must be a JSON object, was " + show(value));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) freeze(value);
        return map;
    }

    /** A deep, unmodifiable copy of nested maps and lists; keys keep their order. */
    static Object freeze(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(String.valueOf(k), freeze(v)));
            return Collections.unmodifiableMap(copy);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            list.forEach(v -> copy.add(freeze(v)));
            return Collections.unmodifiableList(copy);
        }
        return value;
    }

    /**
     * The value at {@code key}: the key itself if the object has it, else the key read as a dotted path
     * into nested objects ({@code rope_scaling.factor}). JSON {@code null} counts as absent, because
     * Transformers writes {@code "rope_scaling": null} to mean "none".
     */
    static Object lookup(Map<String, Object> root, String key) {
        Object direct = root.get(key);
        if (direct != null || key.indexOf('.') < 0) {
            return direct;
        }
        Object current = root;
        for (String part : key.split("\\.", -1)) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(part);
            if (current == null) {
                return null;
            }
        }
        return current;
    }

    static int toInt(Object value, Path file, String field) {
        long v = toLong(value, file, field);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new CheckpointException(file, "field '" + field + "' must fit in an int, was " + v);
        }
        return (int) v;
    }

    static long toLong(Object value, Path file, String field) {
        Number n = toNumber(value, file, field);
        if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte) {
            return n.longValue();
        }
        BigDecimal d;
        try {
            d = n instanceof BigInteger b ? new BigDecimal(b) : new BigDecimal(n.toString());
        } catch (NumberFormatException e) { // NaN, Infinity
            throw new CheckpointException(file, "field '" + field + "' must be an integer, was " + n);
        }
        try {
            return d.longValueExact();
        } catch (ArithmeticException e) {
            throw new CheckpointException(
                    file,
                    "field '" + field + "' must be an integer"
                            + (d.signum() != 0 && d.stripTrailingZeros().scale() <= 0 ? " that fits in a long" : "")
                            + ", was " + n);
        }
    }

    static double toDouble(Object value, Path file, String field) {
        return toNumber(value, file, field).doubleValue();
    }

    static Number toNumber(Object value, Path file, String field) {
        if (value instanceof Number n) {
            return n;
        }
        throw new CheckpointException(file, "field '" + field + "' must be a number, was " + show(value));
    }

    static boolean toBoolean(Object value, Path file, String field) {
        if (value instanceof Boolean b) {
            return b;
        }
        throw new CheckpointException(file, "field '" + field + "' must be true or false, was " + show(value));
    }

    static String toStr(Object value, Path file, String field) {
        if (value instanceof String s) {
            return s;
        }
        throw new CheckpointException(file, "field '" + field + "' must be a string, was " + show(value));
    }

    /** A value as an error message shows it: strings quoted, containers by kind, long text cut. */
    static String show(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String s) {
            String cut = s.length() > 60 ? s.substring(0, 60) + "..." : s;
            return "\"" + cut.replace("\"", "\\\"") + "\"";
        }
        if (value instanceof Map) {
            return "an object";
        }
        if (value instanceof List<?> l) {
            return "a list of " + l.size();
        }
        return value.toString();
    }
}

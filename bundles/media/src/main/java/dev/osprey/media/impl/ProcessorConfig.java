package dev.osprey.media.impl;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.media.MediaException;

/** Fields of a {@code preprocessor_config.json}, read with errors that name the file and the field. */
public final class ProcessorConfig {

    private final JsonNode root;
    private final String source;

    public ProcessorConfig(JsonNode root, String source) {
        if (root == null || !root.isObject()) {
            throw new MediaException(source + ": not a JSON object");
        }
        this.root = root;
        this.source = source;
    }

    public String source() {
        return source;
    }

    public JsonNode node(String field) {
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? null : n;
    }

    public String text(String field) {
        JsonNode n = node(field);
        return n == null ? null : n.asText();
    }

    public boolean flag(String field, boolean fallback) {
        JsonNode n = node(field);
        if (n == null) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw error(field, "must be true or false, got " + n);
        }
        return n.booleanValue();
    }

    public double number(String field, double fallback) {
        JsonNode n = node(field);
        if (n == null) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw error(field, "must be a number, got " + n);
        }
        return n.doubleValue();
    }

    public long integer(String field, long fallback) {
        JsonNode n = node(field);
        return n == null ? fallback : integer(field, n);
    }

    public long integer(String field, JsonNode n) {
        if (!n.canConvertToLong() || !n.isIntegralNumber() && n.doubleValue() != Math.rint(n.doubleValue())) {
            throw error(field, "must be a whole number, got " + n);
        }
        return n.longValue();
    }

    /** Three per-channel values; a single number counts for all three. */
    public double[] channels(String field, double[] fallback) {
        JsonNode n = node(field);
        if (n == null) {
            return fallback;
        }
        if (n.isNumber()) {
            return new double[] {n.doubleValue(), n.doubleValue(), n.doubleValue()};
        }
        if (!n.isArray() || n.size() != 3) {
            throw error(field, "must list 3 numbers (one per RGB channel), got " + n);
        }
        return new double[] {
            n.get(0).doubleValue(), n.get(1).doubleValue(), n.get(2).doubleValue()
        };
    }

    public MediaException error(String field, String what) {
        return new MediaException(source + ": field '" + field + "' " + what);
    }
}

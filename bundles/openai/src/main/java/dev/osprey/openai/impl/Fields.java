package dev.osprey.openai.impl;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Typed reads of request fields; a value of the wrong type or out of range is a 400 naming the field. */
final class Fields {

    private final ObjectNode body;

    Fields(ObjectNode body) {
        this.body = body;
    }

    ObjectNode body() {
        return body;
    }

    private JsonNode present(String name) {
        JsonNode v = body.get(name);
        return v == null || v.isNull() ? null : v;
    }

    boolean has(String name) {
        return present(name) != null;
    }

    String string(String name, String defaultValue) {
        JsonNode v = present(name);
        if (v == null) {
            return defaultValue;
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest("'" + name + "' must be a string, was " + v, name);
        }
        return v.asText();
    }

    boolean bool(String name, boolean defaultValue) {
        JsonNode v = present(name);
        if (v == null) {
            return defaultValue;
        }
        if (!v.isBoolean()) {
            throw ApiException.badRequest("'" + name + "' must be a boolean, was " + v, name);
        }
        return v.asBoolean();
    }

    /** An integer in [min, max]; absent gives the default. */
    Integer integer(String name, Integer defaultValue, long min, long max) {
        JsonNode v = present(name);
        if (v == null) {
            return defaultValue;
        }
        return (int) whole(v, name, min, Math.min(max, Integer.MAX_VALUE));
    }

    /** Any integer that fits 64 bits; absent gives the default. */
    Long longValue(String name, Long defaultValue) {
        JsonNode v = present(name);
        if (v == null) {
            return defaultValue;
        }
        return whole(v, name, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /**
     * A whole number in [min, max], compared exactly: JSON numbers have no size, and Jackson's
     * {@code asLong}/{@code asInt} wrap around what does not fit (2^64 + 5 would read as 5).
     */
    static long whole(JsonNode v, String name, long min, long max) {
        if (!v.isIntegralNumber()
                && !(v.isNumber() && Double.isFinite(v.asDouble()) && v.asDouble() == Math.rint(v.asDouble()))) {
            throw ApiException.badRequest("'" + name + "' must be an integer, was " + v, name);
        }
        BigInteger x =
                v.isIntegralNumber() ? v.bigIntegerValue() : v.decimalValue().toBigInteger();
        if (x.compareTo(BigInteger.valueOf(min)) < 0 || x.compareTo(BigInteger.valueOf(max)) > 0) {
            throw ApiException.badRequest("'" + name + "' must be between " + min + " and " + max + ", was " + x, name);
        }
        return x.longValue();
    }

    /** A number in [min, max] (bounds inclusive). */
    double number(String name, double defaultValue, double min, double max) {
        JsonNode v = present(name);
        if (v == null) {
            return defaultValue;
        }
        if (!v.isNumber()) {
            throw ApiException.badRequest("'" + name + "' must be a number, was " + v, name);
        }
        double x = v.asDouble();
        if (!(x >= min && x <= max)) {
            throw ApiException.badRequest("'" + name + "' must be between " + min + " and " + max + ", was " + x, name);
        }
        return x;
    }

    /** A string or a list of strings (OpenAI's {@code stop}). */
    List<String> strings(String name) {
        JsonNode v = present(name);
        List<String> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (v.isTextual()) {
            out.add(v.asText());
            return out;
        }
        if (!v.isArray()) {
            throw ApiException.badRequest("'" + name + "' must be a string or a list of strings, was " + v, name);
        }
        for (JsonNode s : v) {
            if (!s.isTextual()) {
                throw ApiException.badRequest("'" + name + "' must be a string or a list of strings; found " + s, name);
            }
            out.add(s.asText());
        }
        return out;
    }

    /** A list of integers, each in [min, max]. */
    List<Integer> integers(String name, long min, long max) {
        JsonNode v = present(name);
        List<Integer> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (!v.isArray()) {
            throw ApiException.badRequest("'" + name + "' must be a list of integers, was " + v, name);
        }
        for (int i = 0; i < v.size(); i++) {
            out.add((int) whole(v.get(i), name + "[" + i + "]", min, Math.min(max, Integer.MAX_VALUE)));
        }
        return out;
    }
}

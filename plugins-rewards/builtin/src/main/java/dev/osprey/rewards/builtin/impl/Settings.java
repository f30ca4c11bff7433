package dev.osprey.rewards.builtin.impl;

import java.util.Map;

/**
 * Reads a reward's numeric settings (ms-swift argument names such as {@code cosine_max_len}) from a map of
 * strings or DS component properties; a bad value is reported with the reward and setting name.
 */
final class Settings {

    private final String reward;
    private final Map<String, ?> values;

    Settings(String reward, Map<String, ?> values) {
        this.reward = reward;
        this.values = values == null ? Map.of() : values;
    }

    double number(String key, double defaultValue) {
        Object v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            double d = v instanceof Number n
                    ? n.doubleValue()
                    : Double.parseDouble(v.toString().trim());
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "reward '" + reward + "': setting " + key + " must be a number, got '" + v + "'", e);
        }
    }

    /** An integer setting, or {@code defaultValue} (which may be null: not set). */
    Integer integer(String key, Integer defaultValue) {
        Object v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            return v instanceof Number n && n.doubleValue() == n.intValue()
                    ? n.intValue()
                    : Integer.parseInt(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "reward '" + reward + "': setting " + key + " must be an integer, got '" + v + "'", e);
        }
    }
}

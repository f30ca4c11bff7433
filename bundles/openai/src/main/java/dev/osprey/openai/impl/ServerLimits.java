package dev.osprey.openai.impl;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * What one request may ask of the server, and how long it may take to send it; each past its limit is
 * refused with a 4xx naming the setting.
 *
 * @param maxRequestBytes {@code max_request_bytes}: the largest body (413 past it)
 * @param maxJsonDepth {@code max_json_depth}: how deep objects and arrays may nest
 * @param maxJsonStringLength {@code max_json_string_length}: the longest JSON string, in characters
 * @param maxJsonNumberLength {@code max_json_number_length}: the most digits of a JSON number
 * @param readTimeout {@code read_timeout} (seconds): a body that sends nothing for this long gets 408
 * @param maxSequencesPerRequest {@code max_sequences_per_request}: prompts x n of one request (400 past it)
 * @param maxQueuedTokens {@code max_queued_tokens}: tokens (prompt + max_tokens, at most the context per
 *        sequence) of all requests in flight; a request past it gets 429, or 400 if it alone is past it
 * @param disconnectCheck {@code disconnect_check_ms}: how often a non-streamed request that is generating
 *        checks that its client is still there (0: never)
 */
record ServerLimits(
        long maxRequestBytes,
        int maxJsonDepth,
        int maxJsonStringLength,
        int maxJsonNumberLength,
        Duration readTimeout,
        int maxSequencesPerRequest,
        long maxQueuedTokens,
        Duration disconnectCheck) {

    static final long DEFAULT_MAX_REQUEST_BYTES = 32L << 20;
    static final int DEFAULT_MAX_JSON_DEPTH = 100;
    static final int DEFAULT_MAX_JSON_STRING_LENGTH = 16 << 20;
    static final int DEFAULT_MAX_JSON_NUMBER_LENGTH = 1000;
    static final int DEFAULT_READ_TIMEOUT_SECONDS = 30;
    static final int DEFAULT_MAX_SEQUENCES_PER_REQUEST = 256;
    /** Lets about 200 requests without max_tokens wait on a model with a 40k context (each may hold a whole context). */
    static final long DEFAULT_MAX_QUEUED_TOKENS = 8L << 20;

    static final long DEFAULT_DISCONNECT_CHECK_MS = 1000;

    static final ServerLimits DEFAULTS = new ServerLimits(
            DEFAULT_MAX_REQUEST_BYTES,
            DEFAULT_MAX_JSON_DEPTH,
            DEFAULT_MAX_JSON_STRING_LENGTH,
            DEFAULT_MAX_JSON_NUMBER_LENGTH,
            Duration.ofSeconds(DEFAULT_READ_TIMEOUT_SECONDS),
            DEFAULT_MAX_SEQUENCES_PER_REQUEST,
            DEFAULT_MAX_QUEUED_TOKENS,
            Duration.ofMillis(DEFAULT_DISCONNECT_CHECK_MS));

    /** The configuration keys read here. */
    static final Set<String> KEYS = Set.of(
            "max_request_bytes",
            "max_json_depth",
            "max_json_string_length",
            "max_json_number_length",
            "read_timeout",
            "max_sequences_per_request",
            "max_queued_tokens",
            "disconnect_check_ms");

    /** @throws IllegalArgumentException naming the key whose value is not a positive number */
    static ServerLimits read(Map<String, ?> properties) {
        ServerLimits d = DEFAULTS;
        return new ServerLimits(
                positive(properties, "max_request_bytes", d.maxRequestBytes),
                (int) positive(properties, "max_json_depth", d.maxJsonDepth),
                (int) positive(properties, "max_json_string_length", d.maxJsonStringLength),
                (int) positive(properties, "max_json_number_length", d.maxJsonNumberLength),
                Duration.ofMillis(
                        Math.round(seconds(properties, "read_timeout", d.readTimeout.toMillis() / 1000.0) * 1000)),
                (int) positive(properties, "max_sequences_per_request", d.maxSequencesPerRequest),
                positive(properties, "max_queued_tokens", d.maxQueuedTokens),
                Duration.ofMillis(nonNegative(properties, "disconnect_check_ms", d.disconnectCheck.toMillis())));
    }

    private static long positive(Map<String, ?> properties, String key, long defaultValue) {
        long value = nonNegative(properties, key, defaultValue);
        if (value == 0) {
            throw invalid(key, properties.get(key), "a positive integer");
        }
        return value;
    }

    private static long nonNegative(Map<String, ?> properties, String key, long defaultValue) {
        Object v = properties.get(key);
        if (v == null || v.toString().isBlank()) {
            return defaultValue;
        }
        try {
            long value = Long.parseLong(v.toString().trim());
            if (value >= 0
                    && value
                            <= (key.equals("max_request_bytes") || key.equals("max_queued_tokens")
                                    ? Long.MAX_VALUE
                                    : Integer.MAX_VALUE)) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(key, v, "a non-negative integer");
    }

    private static double seconds(Map<String, ?> properties, String key, double defaultValue) {
        Object v = properties.get(key);
        if (v == null || v.toString().isBlank()) {
            return defaultValue;
        }
        try {
            double value = Double.parseDouble(v.toString().trim());
            if (value > 0 && value < 1e6) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(key, v, "a positive number of seconds");
    }

    private static IllegalArgumentException invalid(String key, Object value, String what) {
        return new IllegalArgumentException(
                "configuration " + ServingConfig.PID + ": '" + key + "' must be " + what + ", was '" + value + "'");
    }
}

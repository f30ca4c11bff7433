package dev.osprey.openai.impl;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.osprey.api.inference.BackendOptions;

/**
 * The server's Config Admin configuration (PID {@value #PID}), read into backend options: {@code model},
 * {@code infer_backend} (or {@code backend}), {@code served_model_name}, {@code adapters}
 * ({@code name=path}, a list or comma-separated), {@code api_key}, {@code device}; every other plain
 * key (e.g. {@code max_num_seqs}, {@code max_model_len}, {@code base_url}) is a backend setting.
 *
 * @param backend the backend name
 * @param apiKey the key clients must send; empty for none
 */
record ServingConfig(String backend, String apiKey, BackendOptions options) {

    static final String PID = "dev.osprey.openai";

    private static final Set<String> OWN_KEYS = Set.of("model", "infer_backend", "backend", "served_model_name", "adapters",
            "api_key", "device");

    static ServingConfig read(Map<String, ?> properties) {
        Object model = properties.get("model");
        if (model == null || model.toString().isBlank()) {
            throw new IllegalArgumentException("configuration " + PID + ": 'model' is required (a model id or folder)");
        }
        String backend = string(properties, "infer_backend", string(properties, "backend", "djl"));
        Map<String, String> adapters = new LinkedHashMap<>();
        for (String entry : list(properties.get("adapters"))) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new IllegalArgumentException("configuration " + PID + ": 'adapters' entries are name=path, found '"
                        + entry + "'");
            }
            adapters.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : properties.entrySet()) {
            String key = e.getKey();
            if (!OWN_KEYS.contains(key) && !key.startsWith("service.") && !key.startsWith("component.")
                    && !key.startsWith("felix.") && !key.startsWith("osgi.") && !key.contains(".")) {
                settings.put(key, String.valueOf(e.getValue()));
            }
        }
        BackendOptions options = new BackendOptions(model.toString(), string(properties, "served_model_name", ""), adapters,
                string(properties, "device", "cpu"), settings);
        return new ServingConfig(backend, string(properties, "api_key", ""), options);
    }

    private static String string(Map<String, ?> properties, String key, String defaultValue) {
        Object v = properties.get(key);
        return v == null || v.toString().isEmpty() ? defaultValue : v.toString();
    }

    private static java.util.List<String> list(Object value) {
        java.util.List<String> out = new java.util.ArrayList<>();
        if (value instanceof String[] array) {
            out.addAll(java.util.List.of(array));
        } else if (value instanceof Collection<?> c) {
            c.forEach(x -> out.add(String.valueOf(x)));
        } else if (value != null && !value.toString().isBlank()) {
            for (String s : value.toString().split(",")) {
                out.add(s.trim());
            }
        }
        out.removeIf(String::isEmpty);
        return out;
    }
}

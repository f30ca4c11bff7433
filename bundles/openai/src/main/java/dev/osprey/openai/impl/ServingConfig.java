package dev.osprey.openai.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.osprey.api.inference.BackendOptions;

/**
 * The server's Config Admin configuration (PID {@value #PID}), read into backend options: {@code model},
 * {@code infer_backend} (or {@code backend}), {@code served_model_name}, {@code adapters}
 * ({@code name=path}, a list or comma-separated), {@code device}; who may call what ({@code api_key},
 * {@code api_key_file}, else the environment's {@code OSPREY_API_KEY} or {@code VLLM_API_KEY};
 * {@code admin_api_key}, {@code enable_admin}, {@code protect_metrics}, {@code adapter_roots},
 * {@code max_loras}); the request limits of {@link ServerLimits}; {@code host}, the address the HTTP
 * server binds, for the warning about an open server. Every other plain key (e.g. {@code max_num_seqs},
 * {@code max_model_len}, {@code base_url}) is a backend setting.
 *
 * @param backend the backend name
 * @param host the address the HTTP server binds
 */
record ServingConfig(
        String backend,
        String host,
        AccessPolicy access,
        AdapterFolders adapterFolders,
        ServerLimits limits,
        BackendOptions options) {

    static final String PID = "dev.osprey.openai";

    /** The keys read here (described for tools by {@link ServingConfigDefinition}); the others go to the backend. */
    static final Set<String> OWN_KEYS;

    static {
        Set<String> own = new HashSet<>(Set.of(
                "model",
                "infer_backend",
                "backend",
                "served_model_name",
                "adapters",
                "device",
                "host",
                "api_key",
                "api_key_file",
                "admin_api_key",
                "enable_admin",
                "protect_metrics",
                "adapter_roots",
                "max_loras"));
        own.addAll(ServerLimits.KEYS);
        OWN_KEYS = Set.copyOf(own);
    }

    static ServingConfig read(Map<String, ?> properties) {
        return read(properties, System.getenv());
    }

    /** @param environment where {@code OSPREY_API_KEY} and {@code VLLM_API_KEY} are looked up */
    static ServingConfig read(Map<String, ?> properties, Map<String, String> environment) {
        Object model = properties.get("model");
        if (model == null || model.toString().isBlank()) {
            throw new IllegalArgumentException("configuration " + PID + ": 'model' is required (a model id or folder)");
        }
        String backend = string(properties, "infer_backend", string(properties, "backend", "djl"));
        Map<String, String> adapters = new LinkedHashMap<>();
        for (String entry : list(properties.get("adapters"))) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new IllegalArgumentException(
                        "configuration " + PID + ": 'adapters' entries are name=path, found '" + entry + "'");
            }
            adapters.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : properties.entrySet()) {
            String key = e.getKey();
            if (!OWN_KEYS.contains(key)
                    && !key.startsWith("service.")
                    && !key.startsWith("component.")
                    && !key.startsWith("felix.")
                    && !key.startsWith("osgi.")
                    && !key.contains(".")) {
                settings.put(key, String.valueOf(e.getValue()));
            }
        }
        BackendOptions options = new BackendOptions(
                model.toString(),
                string(properties, "served_model_name", ""),
                adapters,
                string(properties, "device", "cpu"),
                settings);
        AccessPolicy access = new AccessPolicy(
                apiKey(PID, properties, environment),
                string(properties, "admin_api_key", ""),
                bool(properties, "enable_admin"),
                bool(properties, "protect_metrics"));
        return new ServingConfig(
                backend,
                string(properties, "host", "127.0.0.1"),
                access,
                adapterFolders(properties, adapters),
                ServerLimits.read(properties),
                options);
    }

    /** This configuration serving on {@code otherBackend}. */
    ServingConfig withBackend(String otherBackend) {
        return new ServingConfig(otherBackend, host, access, adapterFolders, limits, options);
    }

    /** True when the server answers on an address other machines can reach. */
    boolean bindsBeyondLoopback() {
        return bindsBeyondLoopback(host);
    }

    /** True when {@code host} is an address other machines can reach. */
    static boolean bindsBeyondLoopback(String host) {
        return !(host.equals("localhost") || host.equals("::1") || host.equals("[::1]") || host.startsWith("127."));
    }

    /**
     * {@code api_key}, else the first line of {@code api_key_file}, else {@code OSPREY_API_KEY}, else
     * vLLM's {@code VLLM_API_KEY}: a key on the command line is visible to every user of the machine. Shared
     * with {@link ServerAccessComponent}, so that {@code osprey serve} takes its key as {@code deploy} does.
     *
     * @param pid the configuration read, named in errors
     */
    static String apiKey(String pid, Map<String, ?> properties, Map<String, String> environment) {
        String key = string(properties, "api_key", "");
        if (!key.isEmpty()) {
            return key;
        }
        String file = string(properties, "api_key_file", "");
        if (!file.isEmpty()) {
            try {
                String text = Files.readString(Path.of(file)).strip();
                if (text.isEmpty() || text.contains("\n")) {
                    throw new IllegalArgumentException(
                            "configuration " + pid + ": api_key_file " + file + " must hold the key alone on one line");
                }
                return text;
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "configuration " + pid + ": cannot read api_key_file " + file + ": " + e, e);
            }
        }
        for (String variable : List.of("OSPREY_API_KEY", "VLLM_API_KEY")) {
            String value = environment.get(variable);
            if (value != null && !value.isBlank()) {
                return value.strip();
            }
        }
        return "";
    }

    /** {@code adapter_roots}, by default the folders holding the adapters given at start. */
    private static AdapterFolders adapterFolders(Map<String, ?> properties, Map<String, String> adapters) {
        List<Path> roots = new ArrayList<>();
        List<String> configured = list(properties.get("adapter_roots"));
        if (configured.isEmpty()) {
            adapters.values().forEach(p -> {
                Path parent = Path.of(p).toAbsolutePath().normalize().getParent();
                if (parent != null) {
                    roots.add(parent);
                }
            });
        } else {
            configured.forEach(p -> roots.add(Path.of(p)));
        }
        String max = string(properties, "max_loras", String.valueOf(AdapterFolders.DEFAULT_MAX_LORAS));
        int maxLoras;
        try {
            maxLoras = Integer.parseInt(max.trim());
        } catch (NumberFormatException e) {
            maxLoras = -1;
        }
        if (maxLoras < 0) {
            throw new IllegalArgumentException(
                    "configuration " + PID + ": 'max_loras' must be a non-negative integer, was '" + max + "'");
        }
        return new AdapterFolders(roots, maxLoras);
    }

    private static boolean bool(Map<String, ?> properties, String key) {
        String v = string(properties, key, "false").trim();
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException(
                "configuration " + PID + ": '" + key + "' must be true or false, was '" + v + "'");
    }

    private static String string(Map<String, ?> properties, String key, String defaultValue) {
        Object v = properties.get(key);
        return v == null || v.toString().isEmpty() ? defaultValue : v.toString();
    }

    private static List<String> list(Object value) {
        List<String> out = new ArrayList<>();
        if (value instanceof String[] array) {
            out.addAll(List.of(array));
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

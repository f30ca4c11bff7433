package dev.osprey.backend.remote.impl;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;

import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.InferenceBackend;
import dev.osprey.api.inference.InferenceSession;

/**
 * A backend that forwards to an OpenAI-compatible server: the one at setting {@code base_url}, or for
 * vLLM, SGLang and LMDeploy one it starts as a child process when {@code base_url} is not set. Settings:
 * {@code base_url}, {@code api_key}, {@code port} (for a child; default: a free port),
 * {@code executable} (instead of the program found on PATH), {@code startup_timeout} (seconds, default 900),
 * {@code request_timeout} (seconds, default 600).
 */
abstract class OpenAiCompatibleBackend implements InferenceBackend {

    private final ServerKind kind;

    OpenAiCompatibleBackend(ServerKind kind) {
        this.kind = kind;
    }

    @Override
    public String name() {
        return kind.backendName;
    }

    @Override
    public String description() {
        return kind.description;
    }

    @Override
    public InferenceSession open(BackendOptions options) throws Exception {
        Map<String, String> s = options.settings();
        HttpClient http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        Duration requestTimeout = Duration.ofSeconds(seconds(s, "request_timeout", 600));
        String baseUrl = s.getOrDefault("base_url", "");
        if (!baseUrl.isEmpty()) {
            return RemoteSession.connect(
                    http, strip(baseUrl), s.getOrDefault("api_key", ""), options, requestTimeout, null);
        }
        if (kind.program == null) {
            throw new IllegalArgumentException("backend '" + name() + "' needs the setting base_url (the address of an "
                    + "OpenAI-compatible server, e.g. http://127.0.0.1:8000), or use --infer_backend vllm, sglang or lmdeploy "
                    + "to start one");
        }
        // refused before anything starts: a missing program is a setting to fix (IllegalArgumentException), not a
        // failure
        String program = s.getOrDefault("executable", kind.program);
        String executable = ChildServer.onPath(program)
                .map(Object::toString)
                .orElseThrow(() -> new IllegalArgumentException("backend '" + name() + "' starts `" + program
                        + "`, which is not on PATH; install it (" + kind.description
                        + "), set the setting executable to its path, or point base_url at a running server"));
        if (kind.pythonModule != null
                && !s.containsKey("executable")
                && !ChildServer.hasPythonModule(executable, kind.pythonModule)) {
            throw new IllegalArgumentException("backend '" + name() + "' runs `" + executable + " -m "
                    + kind.pythonModule
                    + "...`, but that Python has no module " + kind.pythonModule + "; install it (" + kind.description
                    + "), set the setting executable to a Python that has it, or point base_url at a running server");
        }
        int port = s.containsKey("port") ? Integer.parseInt(s.get("port")) : freePort();
        String url = "http://127.0.0.1:" + port;
        ChildServer child = ChildServer.start(
                kind.command(executable, options, port),
                url,
                Duration.ofSeconds(seconds(s, "startup_timeout", 900)),
                http);
        try {
            return RemoteSession.connect(http, url, "", options, requestTimeout, child);
        } catch (Exception | Error e) {
            child.close();
            throw e;
        }
    }

    private static long seconds(Map<String, String> settings, String key, long defaultValue) {
        String v = settings.get(key);
        if (v == null || v.isEmpty()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + " must be a number of seconds, was '" + v + "'");
        }
    }

    private static String strip(String url) {
        String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return u.endsWith("/v1") ? u.substring(0, u.length() - 3) : u;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

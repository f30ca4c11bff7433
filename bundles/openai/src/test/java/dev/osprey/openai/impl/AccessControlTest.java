package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With an API key every route but the health checks (and /metrics, unless protected) needs it; the key
 * can come from a file or the environment instead of the command line; adapters load only from the
 * configured roots.
 */
class AccessControlTest {

    static TestServer server;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer("tiny", name -> new TinySession("tiny", 7, 0), Map.of("api_key", "sk-key"));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    static HttpResponse<String> call(String method, String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.base + path));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        b.method(
                method,
                method.equals("GET")
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(
                                path.equals("/detokenize")
                                        ? "{\"tokens\":[3,4]}"
                                        : "{\"prompt\":\"abc\",\"max_tokens\":1}"));
        return server.send(b);
    }

    @Test
    void everyRouteButTheHealthChecksNeedsTheKey() throws Exception {
        for (String route : List.of(
                "POST /tokenize",
                "POST /detokenize",
                "GET /version",
                "GET /v1/models",
                "POST /v1/completions",
                "GET /v1/admin/backend",
                "GET /v1/no-such-route")) {
            String[] mp = route.split(" ");
            assertEquals(401, call(mp[0], mp[1], null).statusCode(), route + " without the key");
            assertEquals(401, call(mp[0], mp[1], "sk-wrong").statusCode(), route + " with a wrong key");
            int status = call(mp[0], mp[1], "sk-key").statusCode();
            assertTrue(status != 401, route + " with the key: " + status);
        }
        assertEquals(401, call("GET", "/api/other", null).statusCode(), "another bundle's route on the same server");
        assertEquals(200, call("GET", "/api/other", "sk-key").statusCode());
        assertEquals(200, call("GET", "/health", null).statusCode());
        assertEquals(200, call("GET", "/ping", null).statusCode());
        assertEquals(200, call("GET", "/metrics", null).statusCode(), "open by default, as in vLLM");
        server.set("protect_metrics", "true");
        try {
            assertEquals(401, call("GET", "/metrics", null).statusCode());
            assertEquals(200, call("GET", "/metrics", "sk-key").statusCode());
        } finally {
            server.set("protect_metrics", null);
        }
    }

    @Test
    void theWebUiPagesLoadWithoutTheKeyButNothingElseDoes() {
        AccessPolicy policy = new AccessPolicy("sk-key", "", false, false);
        for (String page : List.of("", "/", "/ui", "/ui/", "/ui/assets/index-abc.js")) {
            policy.check("GET", page, null); // the page asks for the key its API calls then send
        }
        for (String route : List.of("POST /ui/", "PUT /ui/x", "GET /uix", "GET /api/jobs", "GET /api/webui/methods")) {
            String[] mp = route.split(" ");
            ApiException refused = assertThrows(ApiException.class, () -> policy.check(mp[0], mp[1], null), route);
            assertEquals(401, refused.status, route);
        }
    }

    @Test
    void theKeyComesFromTheConfigurationAFileOrTheEnvironmentInThatOrder() throws Exception {
        Path file = Files.writeString(dir.resolve("key"), "sk-file\n");
        Map<String, String> env = Map.of("OSPREY_API_KEY", "sk-osprey-env", "VLLM_API_KEY", "sk-vllm-env");
        assertEquals(
                "sk-given",
                ServingConfig.read(Map.of("model", "m", "api_key", "sk-given", "api_key_file", file.toString()), env)
                        .access()
                        .apiKey());
        assertEquals(
                "sk-file",
                ServingConfig.read(Map.of("model", "m", "api_key_file", file.toString()), env)
                        .access()
                        .apiKey());
        assertEquals(
                "sk-osprey-env",
                ServingConfig.read(Map.of("model", "m"), env).access().apiKey());
        assertEquals(
                "sk-vllm-env",
                ServingConfig.read(Map.of("model", "m"), Map.of("VLLM_API_KEY", "sk-vllm-env"))
                        .access()
                        .apiKey());
        assertEquals(
                "", ServingConfig.read(Map.of("model", "m"), Map.of()).access().apiKey());
        Exception missing = assertThrows(
                IllegalArgumentException.class,
                () -> ServingConfig.read(
                        Map.of("model", "m", "api_key_file", dir.resolve("none").toString()), env));
        assertTrue(missing.getMessage().contains("api_key_file"), missing.getMessage());
        // the key settings are the server's own, never handed to a backend (which may log its settings)
        assertEquals(
                Map.of("max_num_seqs", "4"),
                ServingConfig.read(
                                Map.of(
                                        "model",
                                        "m",
                                        "api_key",
                                        "k",
                                        "admin_api_key",
                                        "a",
                                        "max_num_seqs",
                                        "4",
                                        "max_queued_tokens",
                                        "9"),
                                Map.of())
                        .options()
                        .settings());
    }

    @Test
    void anOpenServerBeyondLoopbackIsWarnedAbout() {
        assertTrue(ServingConfig.read(Map.of("model", "m", "host", "0.0.0.0"), Map.of())
                .bindsBeyondLoopback());
        assertTrue(!ServingConfig.read(Map.of("model", "m"), Map.of()).bindsBeyondLoopback());
        assertTrue(!ServingConfig.read(Map.of("model", "m", "host", "127.0.0.1"), Map.of())
                .bindsBeyondLoopback());
        java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(ServingComponent.class.getName());
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                if (record.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warnings.add(record.getMessage());
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(handler);
        try {
            ServingComponent.warnIfOpen(
                    ServingConfig.read(Map.of("model", "m", "host", "0.0.0.0", "api_key", "k"), Map.of()));
            ServingComponent.warnIfOpen(ServingConfig.read(Map.of("model", "m"), Map.of()));
            assertEquals(List.of(), warnings, "a key, or loopback only: nothing to warn about");
            ServingComponent.warnIfOpen(ServingConfig.read(Map.of("model", "m", "host", "0.0.0.0"), Map.of()));
            assertEquals(1, warnings.size());
            assertTrue(warnings.get(0).contains("0.0.0.0 without an API key"), warnings.get(0));
        } finally {
            log.removeHandler(handler);
        }
    }

    @Test
    void adapterRootsDefaultToTheFoldersOfTheAdaptersGivenAtStart() {
        ServingConfig config = ServingConfig.read(
                Map.of("model", "m", "adapters", "sql=" + dir.resolve("a/sql") + "," + "x=" + dir.resolve("b/chat")),
                Map.of());
        assertEquals(
                2,
                config.adapterFolders().roots().size(),
                config.adapterFolders().toString());
        assertTrue(
                ServingConfig.read(Map.of("model", "m"), Map.of())
                        .adapterFolders()
                        .roots()
                        .isEmpty(),
                "none without adapters");
    }

    /** The metatype description lists exactly the keys the server reads itself (backend settings aside). */
    @Test
    void theMetatypeDescriptionListsTheServersOwnKeys() {
        java.util.Set<String> described = new java.util.TreeSet<>();
        for (java.lang.reflect.Method m : ServingConfigDefinition.class.getDeclaredMethods()) {
            described.add(m.getName().replace("__", "_"));
        }
        java.util.Set<String> read = new java.util.TreeSet<>(ServingConfig.OWN_KEYS);
        read.remove("backend"); // the alias of infer_backend
        assertEquals(read, described);
    }
}

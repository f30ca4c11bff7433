package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.backend.djl.DjlSessions;
import dev.osprey.backend.djl.TinyCheckpoint;

/**
 * {@code POST /v1/load_lora_adapter} on the real DJL backend: every refusal is a 400 or 404 naming the
 * folder or file at fault, only folders under the adapter roots are read, the number of adapters is
 * capped, and the route is off unless the admin routes are enabled.
 */
class AdapterLoadingTest {

    @TempDir
    static Path dir;

    static Path roots;
    static Path good;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        Path model = TinyCheckpoint.model(dir.resolve("model"), 96, 64, 2, 4, 2, 128, 64);
        roots = Files.createDirectories(dir.resolve("adapters"));
        good = TinyCheckpoint.adapter(model, roots.resolve("good"), 4, 7);
        Path other = TinyCheckpoint.model(dir.resolve("other-model"), 96, 32, 2, 4, 2, 64, 64);
        TinyCheckpoint.adapter(other, roots.resolve("wrong-shape"), 4, 7);
        TinyCheckpoint.adapter(model, dir.resolve("outside"), 4, 7);
        Files.createDirectories(roots.resolve("empty"));
        copy(good, roots.resolve("truncated"));
        Path weights = roots.resolve("truncated/adapter_model.safetensors");
        Files.write(weights, java.util.Arrays.copyOf(Files.readAllBytes(weights), (int) Files.size(weights) / 2));
        copy(good, roots.resolve("foreign-target"));
        Path config = roots.resolve("foreign-target/adapter_config.json");
        Files.writeString(
                config,
                Files.readString(config)
                        .replaceFirst("\"target_modules\"\\s*:\\s*\\[", "\"target_modules\" : [ \"foo_proj\", "));
        Files.createSymbolicLink(roots.resolve("link-out"), dir.resolve("outside"));
        server = new TestServer(
                "djl",
                name -> DjlSessions.open(model, "tiny", Map.of("sql", good.toString()), Map.of()),
                Map.of("adapter_roots", roots.toString(), "max_loras", "3"));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    static HttpResponse<String> load(String name, String path) throws Exception {
        return server.post(
                "/v1/load_lora_adapter",
                "{\"lora_name\":\"" + name + "\",\"lora_path\":" + Json.MAPPER.writeValueAsString(path) + "}");
    }

    /** The message of a refusal with {@code status}, naming lora_path. */
    static String refused(HttpResponse<String> r, int status) throws Exception {
        JsonNode error = BadRequestTest.error(r, status);
        return error.get("message").asText();
    }

    @Test
    void foldersThatHoldNoUsableAdapterAreRefusedNamingTheProblem() throws Exception {
        assertTrue(refused(load("a", roots.resolve("missing").toString()), 404).contains("no adapter folder"));
        assertTrue(refused(load("a", roots.resolve("empty").toString()), 400).contains("adapter_config.json"));
        String truncated = refused(load("a", roots.resolve("truncated").toString()), 400);
        assertTrue(truncated.contains("adapter_model.safetensors") && truncated.contains("truncated"), truncated);
        assertTrue(
                refused(load("a", roots.resolve("wrong-shape").toString()), 400).contains("adapter_model.safetensors"));
        assertTrue(refused(load("a", roots.resolve("good/adapter_config.json").toString()), 400)
                .contains("is a file"));
        assertFalse(server.get("/v1/models").body().contains("\"a\""), "nothing was loaded");
        // the model still answers with its adapter after all those
        assertEquals(
                200,
                server.post("/v1/completions", "{\"model\":\"sql\",\"prompt\":\"w8\",\"max_tokens\":2}")
                        .statusCode());
    }

    /** PEFT refuses such an adapter; loading it would serve a model with some of the adapter's layers missing. */
    @Test
    void anAdapterWhoseConfigTargetsAModuleTheModelLacksIsRefused() throws Exception {
        String foreign = refused(load("f", roots.resolve("foreign-target").toString()), 400);
        assertTrue(foreign.contains("target module 'foo_proj' is not in this model"), foreign);
        assertFalse(server.get("/v1/models").body().contains("\"f\""), "nothing was loaded");
    }

    @Test
    void onlyFoldersUnderTheRootsAreRead() throws Exception {
        assertTrue(refused(load("b", dir.resolve("outside").toString()), 400).contains("outside the adapter roots"));
        assertTrue(refused(load("b", "../outside"), 400).contains("outside the adapter roots"));
        assertTrue(refused(load("b", roots.resolve("link-out").toString()), 400).contains("outside the adapter roots"));
        assertTrue(refused(load("b", "/etc"), 400).contains(roots.toRealPath().toString()));
    }

    @Test
    void relativePathsReadFromTheRootsAndTheCountIsCapped() throws Exception {
        HttpResponse<String> first = load("c1", "good");
        assertEquals(200, first.statusCode(), first.body());
        HttpResponse<String> second = load("c2", roots.resolve("good").toString());
        assertEquals(200, second.statusCode(), second.body());
        String full = refused(load("c3", "good"), 400);
        assertTrue(full.contains("max_loras"), full);
        assertEquals(
                200,
                server.post("/v1/unload_lora_adapter", "{\"lora_name\":\"c1\"}").statusCode());
        assertEquals(
                200,
                server.post("/v1/unload_lora_adapter", "{\"lora_name\":\"c2\"}").statusCode());
    }

    @Test
    void adminRoutesAreOffUnlessEnabledOrBehindTheirOwnKey() throws Exception {
        server.set("enable_admin", "false");
        try {
            JsonNode off = BadRequestTest.error(load("d", "good"), 403);
            assertTrue(off.get("message").asText().contains("--enable_admin"), off.toString());
            BadRequestTest.error(server.post("/v1/unload_lora_adapter", "{\"lora_name\":\"sql\"}"), 403);
            BadRequestTest.error(server.post("/v1/admin/backend", "{\"backend\":\"djl\"}"), 403);
            server.set("api_key", "sk-user");
            server.set("admin_api_key", "sk-admin");
            HttpResponse<String> userKey = server.send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.base + "/v1/unload_lora_adapter"))
                            .header("Authorization", "Bearer sk-user")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")));
            BadRequestTest.error(userKey, 401);
            HttpResponse<String> adminKey = server.send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.base + "/v1/unload_lora_adapter"))
                            .header("Authorization", "Bearer sk-admin")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")));
            assertEquals(
                    "lora_name",
                    BadRequestTest.error(adminKey, 400).get("param").asText(),
                    "the admin key gets through");
        } finally {
            server.set("api_key", null);
            server.set("admin_api_key", null);
            server.set("enable_admin", "true");
        }
    }
}

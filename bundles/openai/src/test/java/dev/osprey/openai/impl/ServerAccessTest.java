package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;

import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The access of {@code osprey serve} (configuration {@value ServerAccessComponent#PID}), with no model served:
 * the key is read as {@code deploy} reads it, and the filter over a real Jetty refuses every route without it
 * as the OpenAI server does (401, its error object) but lets the web UI's pages load.
 */
class ServerAccessTest {

    static Server jetty;
    static String base;
    static volatile AccessPolicy policy = new AccessPolicy("sk-serve", "", false, false);
    static final HttpClient CLIENT = HttpClient.newHttpClient();

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        jetty = new Server();
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        // stand-ins for the routes of other bundles (/api/jobs, /api/plugins, /ui/): they answer what they got
        context.addServlet(
                new ServletHolder(new HttpServlet() {
                    @Override
                    protected void service(HttpServletRequest request, HttpServletResponse response)
                            throws IOException {
                        byte[] body = request.getInputStream().readAllBytes();
                        response.getWriter()
                                .write(request.getMethod() + " " + request.getRequestURI() + " " + body.length);
                    }
                }),
                "/*");
        context.addFilter(
                new FilterHolder(ServerAccessComponent.filter(() -> policy, new StallWatchdog())),
                "/*",
                EnumSet.of(DispatcherType.REQUEST));
        jetty.setHandler(context);
        jetty.start();
        base = "http://127.0.0.1:" + connector.getLocalPort();
    }

    @AfterAll
    static void stop() throws Exception {
        jetty.stop();
    }

    static HttpResponse<String> call(String method, String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        b.method(
                method,
                method.equals("POST")
                        ? HttpRequest.BodyPublishers.ofByteArray(new byte[4096])
                        : HttpRequest.BodyPublishers.noBody());
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void everyRouteButTheWebUiPagesNeedsTheKey() throws Exception {
        for (String route : new String[] {
            "GET /api/jobs", "POST /api/jobs", "POST /api/plugins?file=x.jar", "DELETE /api/plugins/x.jar"
        }) {
            String[] mp = route.split(" ");
            HttpResponse<String> refused = call(mp[0], mp[1], null);
            assertEquals(401, refused.statusCode(), route + " without the key");
            assertEquals(
                    "Bearer", refused.headers().firstValue("WWW-Authenticate").orElse(""), route);
            JsonNode error = Json.MAPPER.readTree(refused.body()).get("error");
            assertEquals("invalid_api_key", error.get("code").asText(), refused.body());
            assertEquals("invalid_request_error", error.get("type").asText(), refused.body());
            assertTrue(error.get("message").asText().contains("Authorization: Bearer"), refused.body());
            assertEquals(401, call(mp[0], mp[1], "sk-wrong").statusCode(), route + " with a wrong key");
            HttpResponse<String> allowed = call(mp[0], mp[1], "sk-serve");
            assertEquals(200, allowed.statusCode(), route + " with the key");
            assertTrue(allowed.body().startsWith(mp[0] + " "), allowed.body());
        }
        assertEquals(
                "POST /api/jobs 4096", call("POST", "/api/jobs", "sk-serve").body(), "the body reaches the route");
        for (String page : new String[] {"/", "/ui/", "/ui/assets/index.js"}) {
            assertEquals(200, call("GET", page, null).statusCode(), page + " loads to ask for the key");
        }
        assertEquals(401, call("POST", "/ui/", null).statusCode(), "only reading the pages is open");
    }

    @Test
    void withoutAKeyEveryRouteIsOpen() throws Exception {
        AccessPolicy keyed = policy;
        policy = ServerAccessComponent.read(Map.of(), Map.of());
        try {
            assertEquals(200, call("POST", "/api/plugins?file=x.jar", null).statusCode());
            assertEquals(200, call("GET", "/api/jobs", null).statusCode());
        } finally {
            policy = keyed;
        }
    }

    @Test
    void theKeyComesFromTheOptionAFileOrTheEnvironmentAsDeployTakesIt() throws Exception {
        Path file = Files.writeString(dir.resolve("key"), "sk-file\n");
        Map<String, String> env = Map.of("OSPREY_API_KEY", "sk-osprey-env", "VLLM_API_KEY", "sk-vllm-env");
        assertEquals(
                "sk-given",
                ServerAccessComponent.read(Map.of("api_key", "sk-given", "api_key_file", file.toString()), env)
                        .apiKey());
        assertEquals(
                "sk-file",
                ServerAccessComponent.read(Map.of("api_key_file", file.toString()), env)
                        .apiKey());
        assertEquals("sk-osprey-env", ServerAccessComponent.read(Map.of(), env).apiKey());
        assertEquals(
                "sk-vllm-env",
                ServerAccessComponent.read(Map.of(), Map.of("VLLM_API_KEY", "sk-vllm-env"))
                        .apiKey());
        Files.writeString(dir.resolve("two-lines"), "sk-a\nsk-b\n");
        Exception bad = assertThrows(
                IllegalArgumentException.class,
                () -> ServerAccessComponent.read(
                        Map.of("api_key_file", dir.resolve("two-lines").toString()), Map.of()));
        assertTrue(
                bad.getMessage().contains(ServerAccessComponent.PID)
                        && bad.getMessage().contains("two-lines"),
                bad.getMessage());
    }
}

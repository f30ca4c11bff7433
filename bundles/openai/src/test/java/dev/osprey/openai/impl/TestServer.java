package dev.osprey.openai.impl;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.InferenceSession;

/**
 * {@link OpenAiServlet} in a real Jetty 12 on a free port, over a {@link SessionSwitch} whose backends
 * are made by {@code backends} (name to session); every session opened is kept for the checks.
 */
final class TestServer implements AutoCloseable {

    final SessionSwitch sessions;
    final ServingMetrics metrics;
    final Map<String, InferenceSession> opened = new ConcurrentHashMap<>();
    volatile String apiKey = "";
    private final Server jetty;
    final String base;
    final HttpClient client = HttpClient.newHttpClient();

    TestServer(String backend, Function<String, InferenceSession> backends) throws Exception {
        sessions = new SessionSwitch((name, options) -> {
            InferenceSession s = backends.apply(name);
            if (s == null) {
                throw new IllegalArgumentException("no inference-backend named '" + name + "'");
            }
            opened.put(name, s);
            return new SessionSwitch.Opened(s, null);
        });
        metrics = new ServingMetrics(() -> "tiny", () -> sessions.current().flatMap(a -> a.session.stats()));
        BackendOptions options = new BackendOptions("tiny", "tiny", Map.of(), "cpu", Map.of());
        OpenAiServlet servlet = new OpenAiServlet(sessions, metrics, () -> apiKey, name -> sessions.open(name, options));
        jetty = new Server();
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        ServletHolder holder = new ServletHolder(servlet);
        for (String pattern : OpenAiServlet.PATTERNS) {
            context.addServlet(holder, pattern);
        }
        jetty.setHandler(context);
        jetty.start();
        base = "http://127.0.0.1:" + connector.getLocalPort();
        if (backend != null) {
            sessions.open(backend, options);
        }
    }

    HttpResponse<String> post(String path, String json) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json"));
    }

    HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    int port() {
        return URI.create(base).getPort();
    }

    @Override
    public void close() throws Exception {
        jetty.stop();
        sessions.close();
    }
}

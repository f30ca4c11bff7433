package dev.osprey.openai.impl;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.InferenceSession;

/**
 * {@link OpenAiServlet} in a real Jetty 12 on a free port, over a {@link SessionSwitch} whose backends
 * are made by {@code backends} (name to session); every session opened is kept for the checks. Its
 * configuration is read by {@link ServingConfig} from the same keys a user sets ({@link #set}); the
 * admin routes are on unless a test turns them off.
 */
final class TestServer implements AutoCloseable {

    final SessionSwitch sessions;
    final ServingMetrics metrics;
    final Map<String, InferenceSession> opened = new ConcurrentHashMap<>();
    private final Map<String, Object> settings =
            new ConcurrentHashMap<>(Map.of("model", "tiny", "served_model_name", "tiny", "enable_admin", "true"));
    private volatile ServingConfig config = ServingConfig.read(settings, Map.of());
    private final Server jetty;
    final String base;
    final HttpClient client = HttpClient.newHttpClient();

    /** Opens the session of a backend by name; null for a name it does not know. */
    @FunctionalInterface
    interface Backends {
        InferenceSession open(String name) throws Exception;
    }

    TestServer(String backend, Backends backends) throws Exception {
        this(backend, backends, Map.of());
    }

    /** @param configuration configuration keys ({@code api_key}, {@code max_request_bytes}, ...) set from the start */
    TestServer(String backend, Backends backends, Map<String, Object> configuration) throws Exception {
        settings.putAll(configuration);
        config = ServingConfig.read(settings, Map.of());
        sessions = new SessionSwitch((name, options) -> {
            InferenceSession s = backends.open(name);
            if (s == null) {
                throw new IllegalArgumentException("no inference-backend named '" + name + "'");
            }
            opened.put(name, s);
            return new SessionSwitch.Opened(s, null);
        });
        metrics = new ServingMetrics(() -> "tiny", () -> sessions.current().flatMap(a -> a.session.stats()));
        BackendOptions options = new BackendOptions("tiny", "tiny", Map.of(), "cpu", Map.of());
        OpenAiServlet servlet =
                new OpenAiServlet(sessions, metrics, () -> config, name -> sessions.open(name, options));
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
        // another bundle's route on the same server, as /api/plugins is
        context.addServlet(
                new ServletHolder(new jakarta.servlet.http.HttpServlet() {
                    @Override
                    protected void doGet(
                            jakarta.servlet.http.HttpServletRequest request,
                            jakarta.servlet.http.HttpServletResponse response)
                            throws java.io.IOException {
                        response.getWriter().write("other");
                    }
                }),
                "/api/other");
        context.addFilter(
                new org.eclipse.jetty.ee10.servlet.FilterHolder(servlet.accessFilter()),
                "/*",
                java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST));
        jetty.setHandler(context);
        jetty.start();
        base = "http://127.0.0.1:" + connector.getLocalPort();
        if (backend != null) {
            sessions.open(backend, options);
        }
    }

    /** Sets a configuration key, as a configuration update would; null removes it. */
    void set(String key, Object value) {
        if (value == null) {
            settings.remove(key);
        } else {
            settings.put(key, value);
        }
        config = ServingConfig.read(settings, Map.of());
    }

    HttpResponse<String> post(String path, String json) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .POST(HttpRequest.BodyPublishers.ofString(json))
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

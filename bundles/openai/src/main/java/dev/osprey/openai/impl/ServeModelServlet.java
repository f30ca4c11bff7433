package dev.osprey.openai.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.api.http.ErrorBody;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code /api/serving} under {@code osprey serve} and {@code osprey web-ui}: {@code GET} what the server serves,
 * {@code POST {"model": DIR, "adapters": {NAME: DIR}}} serves a model folder or checkpoint (a LoRA checkpoint
 * as an adapter of its base model) by writing the configuration {@code osprey deploy} writes, and
 * {@code DELETE} stops serving. It answers only while the server's access filter (configuration
 * {@value ServerAccessComponent#PID}) guards it: under {@code deploy} stopping would also drop the served model's
 * key.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/serving")
public class ServeModelServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The framework property the launcher sets to the Osprey home. */
    private static final String HOME_PROPERTY = "osprey.home";

    private final transient ConfigurationAdmin configurationAdmin;
    private final String home;

    @Activate
    public ServeModelServlet(@Reference ConfigurationAdmin configurationAdmin, BundleContext context) {
        this.configurationAdmin = configurationAdmin;
        this.home = context.getProperty(HOME_PROPERTY);
    }

    /** A refusal with its status and the request field at fault. */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final String param;

        Refusal(int status, String param, String message) {
            super(message);
            this.status = status;
            this.param = param;
        }
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            if (find(ServerAccessComponent.PID) == null) {
                throw new Refusal(
                        403,
                        null,
                        "this server was started by osprey deploy: serving another model is done by restarting it;"
                                + " osprey serve and osprey web-ui serve models from the web UI");
            }
            switch (request.getMethod()) {
                case "GET" -> send(response, 200, served());
                case "POST" -> send(response, 202, serve(JSON.readTree(request.getInputStream())));
                case "DELETE" -> {
                    Configuration served = find(ServingConfig.PID);
                    if (served != null) {
                        served.delete();
                    }
                    send(response, 200, Map.of("serving", false));
                }
                default ->
                    throw new Refusal(405, null, request.getMethod() + " is not allowed here: GET, POST or DELETE");
            }
        } catch (Refusal e) {
            error(response, e.status, e.param, e.getMessage());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            error(response, 400, null, "the body is not JSON: " + e.getOriginalMessage());
        } catch (InvalidSyntaxException e) {
            throw new IOException(e);
        }
    }

    /** What is served now: the model, backend and adapters of the server's configuration. */
    private Map<String, Object> served() throws IOException, InvalidSyntaxException {
        Map<String, Object> body = new LinkedHashMap<>();
        Configuration config = find(ServingConfig.PID);
        Dictionary<String, Object> p = config == null ? null : config.getProperties();
        body.put("serving", p != null);
        if (p != null) {
            body.put("model", p.get("model"));
            body.put("infer_backend", p.get("infer_backend"));
            Object adapters = p.get("adapters");
            body.put(
                    "adapters",
                    adapters instanceof String[] a
                            ? Arrays.asList(a)
                            : adapters == null ? java.util.List.of() : adapters);
        }
        return body;
    }

    /** Writes the server's configuration for the chosen model folder or checkpoint; the server loads it. */
    private Map<String, Object> serve(JsonNode request) throws IOException, InvalidSyntaxException {
        Path chosen = folder(request.path("model").asText(""), "model");
        Map<String, String> adapters = new LinkedHashMap<>();
        request.path("adapters")
                .fields()
                .forEachRemaining(e -> adapters.put(
                        e.getKey(),
                        folder(e.getValue().asText(""), "adapters." + e.getKey())
                                .toString()));
        Path model = chosen;
        String adapter = null;
        if (!Files.isRegularFile(chosen.resolve("config.json"))
                && Files.isRegularFile(chosen.resolve("adapter_config.json"))) {
            // a LoRA checkpoint: serve its base model with it as an adapter
            JsonNode config =
                    JSON.readTree(chosen.resolve("adapter_config.json").toFile());
            String base = config.path("base_model_name_or_path").asText("");
            if (base.isEmpty()) {
                throw new Refusal(
                        400,
                        "model",
                        chosen.resolve("adapter_config.json")
                                + " names no base_model_name_or_path, so its base model cannot be served");
            }
            model = folder(base, "model");
            // named as the Chat page names a loaded checkpoint: JOB-OUTPUT-checkpoint-N, unique across jobs
            Path output = chosen.getParent();
            adapter = (output.getParent() == null ? "" : output.getParent().getFileName() + "-") + output.getFileName()
                    + "-" + chosen.getFileName();
            adapters.put(adapter, chosen.toString());
        } else if (!Files.isRegularFile(chosen.resolve("config.json"))) {
            throw new Refusal(
                    400,
                    "model",
                    chosen + " holds neither config.json (a model) nor adapter_config.json (a LoRA checkpoint)");
        }
        String backend = request.path("infer_backend").asText("djl");
        String device = request.path("device").asText("cpu");
        // the keys osprey deploy writes (ServingConfigDefinition): the model, backend, device and NAME=DIR adapters
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("model", model.toString());
        p.put("infer_backend", backend);
        p.put("device", device);
        if (!adapters.isEmpty()) {
            p.put(
                    "adapters",
                    adapters.entrySet().stream()
                            .map(e -> e.getKey() + "=" + e.getValue())
                            .toArray(String[]::new));
        }
        // the Chat page loads more checkpoints of the home as adapters; the server's key guards these routes
        p.put("enable_admin", "true");
        if (home != null) {
            p.put("adapter_roots", new String[] {Path.of(home).toAbsolutePath().toString()});
        }
        configurationAdmin.getConfiguration(ServingConfig.PID, "?").update(p);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("serving", true);
        body.put("model", model.toString());
        body.put("infer_backend", backend);
        body.put("adapter", adapter);
        return body;
    }

    /** An existing folder: absolute, or relative to the Osprey home. */
    private Path folder(String path, String param) {
        if (path.isBlank()) {
            throw new Refusal(400, param, param + " is required: a model folder or checkpoint");
        }
        Path p = Path.of(path);
        if (!p.isAbsolute() && home != null && !Files.isDirectory(p)) {
            p = Path.of(home).resolve(p);
        }
        if (!Files.isDirectory(p)) {
            throw new Refusal(400, param, param + ": no folder " + path);
        }
        return p.toAbsolutePath().normalize();
    }

    private Configuration find(String pid) throws IOException, InvalidSyntaxException {
        Configuration[] found = configurationAdmin.listConfigurations("(service.pid=" + pid + ")");
        return found == null ? null : found[0];
    }

    private static void send(HttpServletResponse response, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.getOutputStream().write(bytes);
    }

    private static void error(HttpServletResponse response, int status, String param, String message)
            throws IOException {
        send(response, status, ErrorBody.of(status, param, message));
    }
}

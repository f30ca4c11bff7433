package dev.osprey.webui.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.train.TrainingMethod;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * What the Train page builds its form from, so that it offers exactly what the command line offers:
 * {@code GET /api/webui/methods} names the installed training methods; {@code GET /api/webui/methods/NAME}
 * gives the method's own argument descriptions (the ones {@code osprey sft --help} prints) and, for
 * {@code sft}, the built-in demo's values ({@code demo/sft.yaml}, what {@code osprey sft} alone runs);
 * {@code POST /api/webui/methods/NAME/validate} checks values with the method's own {@code validate}, so
 * the form shows the command line's messages before launching.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/api/webui/methods", "/api/webui/methods/*"})
public class TrainFormServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** The demo option that stays out of the form's preset: each job then writes into its own folder. */
    private static final String OUTPUT_DIR = "output_dir";

    private final transient ExtensionRegistry extensions;
    private final String home;

    @Activate
    public TrainFormServlet(@Reference ExtensionRegistry extensions, BundleContext context) {
        this(extensions, context.getProperty("osprey.home"));
    }

    TrainFormServlet(ExtensionRegistry extensions, String home) {
        this.extensions = extensions;
        this.home = home;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        String[] parts = path.replaceAll("^/+|/+$", "").split("/");
        try {
            if (parts[0].isEmpty()) {
                requireMethod(request, "GET");
                List<String> names = extensions.list(ExtensionKind.TRAINING_METHOD).stream()
                        .map(ExtensionInfo::name)
                        .toList();
                Json.send(response, 200, Map.of("object", "list", "data", names));
            } else if (parts.length == 1) {
                requireMethod(request, "GET");
                Json.send(response, 200, describe(parts[0]));
            } else if (parts.length == 2 && parts[1].equals("validate")) {
                requireMethod(request, "POST");
                validate(parts[0], arguments(request));
                Json.send(response, 200, Map.of("valid", true));
            } else {
                throw new Json.Refusal(404, null, "no route " + request.getMethod() + " " + request.getRequestURI());
            }
        } catch (Json.Refusal e) {
            Json.error(response, e.status, e.param, e.getMessage());
        }
    }

    /** The method's arguments as {@link ArgumentSpec}s in JSON, and the demo's values where there is one. */
    Map<String, Object> describe(String method) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("method", method);
        List<Map<String, Object>> arguments = new ArrayList<>();
        try (ExtensionHandle<TrainingMethod> handle = require(method)) {
            for (ArgumentSpec spec : handle.get().arguments()) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("name", spec.name());
                a.put("aliases", spec.aliases());
                a.put("type", spec.type().name().toLowerCase(java.util.Locale.ROOT));
                a.put("default", spec.defaultValue());
                a.put("help", spec.help());
                a.put("choices", spec.choices());
                arguments.add(a);
            }
        }
        body.put("arguments", arguments);
        Path demo = home == null ? null : Path.of(home, "demo", method + ".yaml");
        if (demo != null && Files.isRegularFile(demo)) {
            body.put("preset", demoValues(demo));
            body.put("preset_source", demo.toString());
        }
        return body;
    }

    /** The demo file's values as the CLI reads them: model and dataset resolved against the Osprey home. */
    private static Map<String, Object> demoValues(Path demo) throws IOException {
        Map<String, Object> values = new LinkedHashMap<>();
        Path home = demo.getParent().getParent();
        for (Iterator<Map.Entry<String, JsonNode>> it =
                        YAML.readTree(demo.toFile()).fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals(OUTPUT_DIR)) {
                continue;
            }
            JsonNode node = e.getValue();
            Object value = node.isArray()
                    ? JSON.convertValue(node, List.class).stream()
                            .map(String::valueOf)
                            .toList()
                    : node.asText();
            if (name.equals("model") || name.equals("dataset")) {
                value = home.resolve(node.asText()).toString();
            }
            values.put(name, value);
        }
        return values;
    }

    /** Runs the method's own checks; their message names the option at fault, as on the command line. */
    void validate(String method, Arguments arguments) {
        try (ExtensionHandle<TrainingMethod> handle = require(method)) {
            handle.get().validate(arguments);
        } catch (IllegalArgumentException e) {
            throw new Json.Refusal(400, Json.fieldOf(e.getMessage()), e.getMessage());
        }
    }

    private ExtensionHandle<TrainingMethod> require(String method) {
        try {
            return extensions.require(TrainingMethod.class, method);
        } catch (IllegalArgumentException e) {
            throw new Json.Refusal(404, "method", e.getMessage());
        }
    }

    /** {@code {"arguments": {"name": "value" or ["values"]}}}, as {@code POST /api/jobs} takes them. */
    private static Arguments arguments(HttpServletRequest request) throws IOException {
        JsonNode body;
        try {
            body = JSON.readTree(request.getInputStream());
        } catch (JsonProcessingException e) {
            throw new Json.Refusal(400, null, "the body is not JSON: " + e.getOriginalMessage());
        }
        JsonNode args = body == null ? null : body.get("arguments");
        if (args == null || !args.isObject()) {
            throw new Json.Refusal(400, "arguments", "the body must be {\"arguments\": {...}} by ms-swift names");
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = args.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isArray()) {
                List<String> list = new ArrayList<>();
                v.forEach(x -> list.add(x.asText()));
                values.put(e.getKey(), list);
            } else if (v.isValueNode() && !v.isNull()) {
                values.put(e.getKey(), v.asText());
            } else {
                throw new Json.Refusal(
                        400,
                        "arguments." + e.getKey(),
                        "arguments." + e.getKey() + " must be a string, number, boolean or a list of them");
            }
        }
        return Arguments.of(values);
    }

    private static void requireMethod(HttpServletRequest request, String allowed) {
        if (!request.getMethod().equals(allowed)) {
            throw new Json.Refusal(405, null, "use " + allowed + " here");
        }
    }
}

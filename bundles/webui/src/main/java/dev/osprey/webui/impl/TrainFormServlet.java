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
import dev.osprey.api.job.JobExtension;
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
 * What the job forms (Train, RLHF, GRPO, Eval, Export) build themselves from, so that each offers exactly what
 * the command line offers: {@code GET /api/webui/methods} (training methods), {@code /api/webui/evaluators} and
 * {@code /api/webui/exporters} name the installed extensions of that kind; {@code GET .../NAME} gives the
 * extension's own argument descriptions (the ones {@code osprey sft --help} prints), each with the section of
 * ms-swift's web-ui it shows in, GRPO's {@code reward_funcs} offered as the installed reward plugins, and for a
 * method with a shipped demo ({@code demo/sft.yaml}, what {@code osprey sft} alone runs) the demo's values;
 * {@code POST .../NAME/validate} checks values as the command line does (types, then a training method's own
 * {@code validate}, with its messages); {@code POST .../NAME/yaml} writes the values as the YAML that
 * {@code --config} reads and {@code POST .../NAME/config} reads such a YAML back into the form's values.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({
    "/api/webui/methods",
    "/api/webui/methods/*",
    "/api/webui/evaluators",
    "/api/webui/evaluators/*",
    "/api/webui/exporters",
    "/api/webui/exporters/*"
})
public class TrainFormServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** The demo option that stays out of the form's preset: each job then writes into its own folder. */
    private static final String OUTPUT_DIR = "output_dir";
    /** GRPO's argument whose values are the installed reward plugins' names. */
    static final String REWARD_FUNCS = "reward_funcs";

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

    /** The kind of extension a route lists: its last path segment names it. */
    static ExtensionKind kindOf(String servletPath) {
        if (servletPath.endsWith("/evaluators")) {
            return ExtensionKind.EVALUATOR;
        }
        return servletPath.endsWith("/exporters") ? ExtensionKind.EXPORTER : ExtensionKind.TRAINING_METHOD;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        String[] parts = path.replaceAll("^/+|/+$", "").split("/");
        ExtensionKind kind = kindOf(request.getServletPath());
        try {
            if (parts[0].isEmpty()) {
                requireMethod(request, "GET");
                List<String> names =
                        extensions.list(kind).stream().map(ExtensionInfo::name).toList();
                Json.send(response, 200, Map.of("object", "list", "kind", kind.label(), "data", names));
            } else if (parts.length == 1) {
                requireMethod(request, "GET");
                Json.send(response, 200, describe(kind, parts[0]));
            } else if (parts.length == 2 && parts[1].equals("validate")) {
                requireMethod(request, "POST");
                validate(kind, parts[0], arguments(body(request)));
                Json.send(response, 200, Map.of("valid", true));
            } else if (parts.length == 2 && parts[1].equals("yaml")) {
                requireMethod(request, "POST");
                JsonNode body = body(request);
                String command = body.path("command").asText("osprey " + parts[0]);
                try {
                    String yaml = ArgumentsYaml.write(arguments(kind, parts[0]), values(body), command);
                    Json.send(response, 200, Map.of("yaml", yaml));
                } catch (IllegalArgumentException e) {
                    throw new Json.Refusal(400, Json.fieldOf(e.getMessage()), e.getMessage());
                }
            } else if (parts.length == 2 && parts[1].equals("config")) {
                requireMethod(request, "POST");
                JsonNode body = body(request);
                String source = body.path("source").asText("the YAML");
                try {
                    Map<String, Object> values = ArgumentsYaml.read(
                            arguments(kind, parts[0]), body.path("yaml").asText(""), source);
                    Json.send(response, 200, Map.of("arguments", values));
                } catch (IllegalArgumentException e) {
                    throw new Json.Refusal(400, "yaml", e.getMessage());
                }
            } else {
                throw new Json.Refusal(404, null, "no route " + request.getMethod() + " " + request.getRequestURI());
            }
        } catch (Json.Refusal e) {
            Json.error(response, e.status, e.param, e.getMessage());
        }
    }

    /** {@link #describe(ExtensionKind, String)} of a training method. */
    Map<String, Object> describe(String method) throws IOException {
        return describe(ExtensionKind.TRAINING_METHOD, method);
    }

    /**
     * The extension's arguments as {@link ArgumentSpec}s in JSON, each with its form section, and the demo's
     * values where there is one.
     */
    Map<String, Object> describe(ExtensionKind kind, String name) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("kind", kind.label());
        body.put("method", name);
        List<String> rewards = extensions.list(ExtensionKind.REWARD_FUNCTION).stream()
                .map(ExtensionInfo::name)
                .toList();
        List<Map<String, Object>> arguments = new ArrayList<>();
        try (ExtensionHandle<? extends JobExtension> handle = require(kind, name)) {
            body.put("description", handle.get().description());
            for (ArgumentSpec spec : handle.get().arguments()) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("name", spec.name());
                a.put("aliases", spec.aliases());
                a.put("type", spec.type().name().toLowerCase(java.util.Locale.ROOT));
                a.put("default", spec.defaultValue());
                a.put("help", spec.help());
                // the installed reward plugins are what --reward_funcs may name (the CLI checks it at launch)
                a.put("choices", spec.name().equals(REWARD_FUNCS) ? rewards : spec.choices());
                a.put("group", ArgumentGroups.of(spec.name()));
                arguments.add(a);
            }
        }
        body.put("arguments", arguments);
        body.put("groups", ArgumentGroups.order());
        Path demo = home == null ? null : Path.of(home, "demo", name + ".yaml");
        if (kind == ExtensionKind.TRAINING_METHOD && demo != null && Files.isRegularFile(demo)) {
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

    /** {@link #validate(ExtensionKind, String, Arguments)} of a training method. */
    void validate(String method, Arguments arguments) {
        validate(ExtensionKind.TRAINING_METHOD, method, arguments);
    }

    /**
     * Checks values as the command line does: numbers and booleans that must parse, then a training method's own
     * checks; the message names the option at fault.
     */
    void validate(ExtensionKind kind, String name, Arguments arguments) {
        try (ExtensionHandle<? extends JobExtension> handle = require(kind, name)) {
            checkTypes(handle.get().arguments(), arguments);
            if (handle.get() instanceof TrainingMethod method) {
                method.validate(arguments);
            }
        } catch (IllegalArgumentException e) {
            throw new Json.Refusal(400, Json.fieldOf(e.getMessage()), e.getMessage());
        }
    }

    /** A number or boolean that does not parse, with the message the job would fail with. */
    private static void checkTypes(List<ArgumentSpec> described, Arguments arguments) {
        for (ArgumentSpec argument : described) {
            if (arguments.has(argument.name())) {
                switch (argument.type()) {
                    case INTEGER -> arguments.getLong(argument.name(), 0);
                    case NUMBER -> arguments.getDouble(argument.name(), 0);
                    case BOOLEAN -> arguments.getBoolean(argument.name(), false);
                    default -> {}
                }
            }
        }
    }

    private List<ArgumentSpec> arguments(ExtensionKind kind, String name) {
        try (ExtensionHandle<? extends JobExtension> handle = require(kind, name)) {
            return handle.get().arguments();
        }
    }

    @SuppressWarnings("unchecked")
    private ExtensionHandle<? extends JobExtension> require(ExtensionKind kind, String name) {
        try {
            return extensions.require((Class<? extends JobExtension>) kind.type(), name);
        } catch (IllegalArgumentException e) {
            throw new Json.Refusal(404, "method", e.getMessage());
        }
    }

    static JsonNode body(HttpServletRequest request) throws IOException {
        try {
            JsonNode body = JSON.readTree(request.getInputStream());
            return body == null ? JSON.createObjectNode() : body;
        } catch (JsonProcessingException e) {
            throw new Json.Refusal(400, null, "the body is not JSON: " + e.getOriginalMessage());
        }
    }

    /** {@code {"arguments": {"name": "value" or ["values"]}}}, as {@code POST /api/jobs} takes them. */
    static Arguments arguments(JsonNode body) {
        return Arguments.of(values(body));
    }

    /** The body's {@code arguments} by name: text, or lists of text. */
    static Map<String, Object> values(JsonNode body) {
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
        return values;
    }

    static void requireMethod(HttpServletRequest request, String allowed) {
        if (!request.getMethod().equals(allowed)) {
            throw new Json.Refusal(405, null, "use " + allowed + " here");
        }
    }
}
